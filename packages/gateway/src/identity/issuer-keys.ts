// The issuer's Ed25519 signing keys with rotation: one `current` key signs, one `next` key is
// already published so relying parties learn it before it signs, and `retired` keys stay in the
// JWKS until their last certificate has expired. Private keys are sealed under the master key.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import { ZtError } from '../errors.js';
import { seal, unseal } from '../secrets/index.js';
import type { Database, IssuerKeyRow } from '../store/index.js';

export interface IssuerSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

export interface Jwks {
  readonly keys: JWK[];
}

const SEAL_CONTEXT = 'zt4ai issuer-key v1';

export class IssuerKeys {
  readonly #db: Kysely<Database>;
  readonly #masterKey: Buffer;
  readonly #maxCertificateTtlSeconds: number;
  readonly #now: () => Date;
  #signer: IssuerSigningKey | undefined;

  constructor(
    db: Kysely<Database>,
    masterKey: Buffer,
    maxCertificateTtlSeconds: number,
    now: () => Date,
  ) {
    this.#db = db;
    this.#masterKey = masterKey;
    this.#maxCertificateTtlSeconds = maxCertificateTtlSeconds;
    this.#now = now;
  }

  /** Creates the first current and next keys when there are none. */
  async ensure(): Promise<void> {
    const existing = await this.#db
      .selectFrom('identity_issuer_keys')
      .select('kid')
      .limit(1)
      .execute();
    if (existing.length > 0) return;
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('identity_issuer_keys')
        .values(await this.#newKey('current'))
        .execute();
      await trx
        .insertInto('identity_issuer_keys')
        .values(await this.#newKey('next'))
        .execute();
    });
  }

  /** The key that signs now. */
  async signer(): Promise<IssuerSigningKey> {
    if (this.#signer !== undefined) return this.#signer;
    const row = await this.#db
      .selectFrom('identity_issuer_keys')
      .selectAll()
      .where('state', '=', 'current')
      .executeTakeFirst();
    if (row === undefined) throw new ZtError('internal', 'no current issuer key');
    const pkcs8 = unseal(this.#masterKey, row.private_key, `${SEAL_CONTEXT}\n${row.kid}`);
    this.#signer = {
      kid: row.kid,
      privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
    };
    return this.#signer;
  }

  /** Public keys relying parties must accept: current, next, and retired keys not yet expired. */
  async jwks(): Promise<Jwks> {
    const now = this.#now().toISOString();
    const rows = await this.#db
      .selectFrom('identity_issuer_keys')
      .select(['kid', 'public_jwk', 'state', 'not_after'])
      .where('state', '!=', 'revoked')
      .orderBy('created_at')
      .execute();
    return {
      keys: rows
        .filter((row) => row.state !== 'retired' || (row.not_after !== null && row.not_after > now))
        .map((row) => ({
          ...(JSON.parse(row.public_jwk) as JWK),
          kid: row.kid,
          alg: 'EdDSA',
          use: 'sig',
        })),
    };
  }

  /** All keys with their state, for operators. */
  async list(): Promise<Array<Omit<IssuerKeyRow, 'private_key' | 'public_jwk'>>> {
    return this.#db
      .selectFrom('identity_issuer_keys')
      .select(['kid', 'state', 'created_at', 'activated_at', 'retired_at', 'not_after'])
      .orderBy('created_at')
      .execute();
  }

  /** current → retired, next → current, and a new next. Returns the new current kid. */
  async rotate(): Promise<{ retired: string; current: string; next: string }> {
    const now = this.#now();
    const notAfter = new Date(now.getTime() + this.#maxCertificateTtlSeconds * 1000).toISOString();
    const result = await this.#db.transaction().execute(async (trx) => {
      const keys = await trx.selectFrom('identity_issuer_keys').select(['kid', 'state']).execute();
      const current = keys.find((k) => k.state === 'current');
      const next = keys.find((k) => k.state === 'next');
      if (current === undefined || next === undefined)
        throw new ZtError('internal', 'issuer keys are incomplete');
      await trx
        .updateTable('identity_issuer_keys')
        .set({ state: 'retired', retired_at: now.toISOString(), not_after: notAfter })
        .where('kid', '=', current.kid)
        .execute();
      await trx
        .updateTable('identity_issuer_keys')
        .set({ state: 'current', activated_at: now.toISOString() })
        .where('kid', '=', next.kid)
        .execute();
      const fresh = await this.#newKey('next');
      await trx.insertInto('identity_issuer_keys').values(fresh).execute();
      return { retired: current.kid, current: next.kid, next: fresh.kid };
    });
    this.#signer = undefined;
    return result;
  }

  /** Marks a key compromised: it leaves the JWKS at once; a current key is rotated away first. */
  async revoke(kid: string): Promise<void> {
    const row = await this.#db
      .selectFrom('identity_issuer_keys')
      .select('state')
      .where('kid', '=', kid)
      .executeTakeFirst();
    if (row === undefined) throw new ZtError('not-found', 'no issuer key with that kid');
    if (row.state === 'current') await this.rotate();
    await this.#db
      .updateTable('identity_issuer_keys')
      .set({ state: 'revoked' })
      .where('kid', '=', kid)
      .execute();
    if (row.state === 'next') {
      // Rotation needs a next key: replace the revoked one.
      await this.#db
        .insertInto('identity_issuer_keys')
        .values(await this.#newKey('next'))
        .execute();
    }
    this.#signer = undefined;
  }

  /** Forgets the cached signer (another process may have rotated). */
  invalidate(): void {
    this.#signer = undefined;
  }

  async #newKey(state: 'current' | 'next'): Promise<IssuerKeyRow> {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(jwk);
    const now = this.#now().toISOString();
    return {
      kid,
      state,
      public_jwk: JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }),
      private_key: seal(
        this.#masterKey,
        privateKey.export({ format: 'der', type: 'pkcs8' }),
        `${SEAL_CONTEXT}\n${kid}`,
      ),
      created_at: now,
      activated_at: state === 'current' ? now : null,
      retired_at: null,
      not_after: null,
    };
  }
}
