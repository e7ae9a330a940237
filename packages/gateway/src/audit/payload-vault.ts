// Stores large or sensitive payloads beside the log, encrypted with a key per agent (DESIGN §5).
// Each agent key is wrapped by the master key; deleting it shreds that agent's payloads while the
// log, which holds only digests, still verifies.
//
// The digest is SHA-256 over a random 32-byte salt followed by the payload. The salt is stored only
// inside the ciphertext, so once a key is shredded the digest cannot confirm a guessed payload.
// Each row names the key that sealed it (an HMAC of a fixed label under the key, not the key): a
// payload of a shredded key reads as shredded even after the agent got a new key, never as corrupt.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ZtError } from '../errors.js';
import { seal, unseal } from '../secrets/index.js';
import type { AuditPayloadRow, Database } from '../store/index.js';

const SALT_BYTES = 32;
const DIGEST_PREFIX = 'sha256:';
/** Unwrapped agent keys kept for sealing (one store read per agent, not per payload). */
const KEY_CACHE_ENTRIES = 10_000;

/** A payload sealed for storage; its digest is what the log entry commits to. */
export interface SealedPayload {
  readonly digest: string;
  readonly row: AuditPayloadRow;
}

export class PayloadVault {
  readonly #db: Kysely<Database>;
  readonly #masterKey: Buffer;
  readonly #now: () => Date;
  readonly #changeToken: () => string;
  /** Keys for sealing, valid while the store's change token holds (a shred announces a change). */
  readonly #sealingKeys = new Map<string, { token: string; key: Buffer; id: string }>();

  constructor(db: Kysely<Database>, masterKey: Buffer, now: () => Date, changeToken: () => string) {
    this.#db = db;
    this.#masterKey = masterKey;
    this.#now = now;
    this.#changeToken = changeToken;
  }

  /** Encrypts `payload` under `agent`'s key (created on first use); the row is written by the caller. */
  async seal(agent: string, payload: Uint8Array): Promise<SealedPayload> {
    const agentKey = await this.#sealingKey(agent);
    const salt = randomBytes(SALT_BYTES);
    const plaintext = Buffer.concat([salt, payload]);
    const digest = DIGEST_PREFIX + createHash('sha256').update(plaintext).digest('hex');
    const ciphertext = seal(agentKey.key, plaintext, payloadContext(agent, digest));
    const created_at = this.#now().toISOString();
    return { digest, row: { digest, agent, ciphertext, created_at, key_id: agentKey.id } };
  }

  /** Decrypts a payload by digest and checks it against the digest. */
  async open(digest: string): Promise<Uint8Array> {
    const row = await this.#db
      .selectFrom('audit_payloads')
      .selectAll()
      .where('digest', '=', digest)
      .executeTakeFirst();
    if (row === undefined) throw new ZtError('not-found', 'no payload with that digest');
    const agentKey = await this.#agentKey(row.agent, false);
    if (row.key_id !== null && row.key_id !== keyId(agentKey))
      throw new ZtError('payload-shredded', 'the payload was shredded');
    const plaintext = unseal(
      agentKey,
      Buffer.from(row.ciphertext),
      payloadContext(row.agent, digest),
    );
    const actual = DIGEST_PREFIX + createHash('sha256').update(plaintext).digest('hex');
    if (actual !== digest)
      throw new ZtError('payload-corrupt', 'the payload does not match its digest');
    return plaintext.subarray(SALT_BYTES);
  }

  /**
   * Deletes `agent`'s key: its payloads become unreadable. Returns whether a key existed. The
   * caller MUST announce a change through the store, so other processes drop the key they hold.
   */
  async shred(agent: string): Promise<boolean> {
    this.#sealingKeys.delete(agent);
    const result = await this.#db
      .deleteFrom('audit_agent_keys')
      .where('agent', '=', agent)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async #sealingKey(agent: string): Promise<{ key: Buffer; id: string }> {
    const token = this.#changeToken();
    const cached = this.#sealingKeys.get(agent);
    if (cached?.token === token) return cached;
    const key = await this.#agentKey(agent, true);
    if (this.#sealingKeys.size >= KEY_CACHE_ENTRIES)
      this.#sealingKeys.delete(this.#sealingKeys.keys().next().value as string);
    const sealing = { token, key, id: keyId(key) };
    this.#sealingKeys.set(agent, sealing);
    return sealing;
  }

  async #agentKey(agent: string, create: boolean): Promise<Buffer> {
    const context = `zt4ai agent-key v1\n${agent}`;
    const existing = await this.#readKey(agent);
    if (existing !== undefined) return unseal(this.#masterKey, existing, context);
    if (!create) throw new ZtError('payload-shredded', 'the payload was shredded');
    const wrapped = seal(this.#masterKey, randomBytes(32), context);
    await this.#db
      .insertInto('audit_agent_keys')
      .values({ agent, wrapped_key: wrapped, created_at: this.#now().toISOString() })
      .onConflict((oc) => oc.column('agent').doNothing())
      .execute();
    const stored = await this.#readKey(agent);
    if (stored === undefined) throw new ZtError('internal', 'agent key vanished');
    return unseal(this.#masterKey, stored, context);
  }

  async #readKey(agent: string): Promise<Buffer | undefined> {
    const row = await this.#db
      .selectFrom('audit_agent_keys')
      .select('wrapped_key')
      .where('agent', '=', agent)
      .executeTakeFirst();
    return row === undefined ? undefined : Buffer.from(row.wrapped_key);
  }
}

/** Names an agent key without revealing it. */
function keyId(key: Buffer): string {
  return createHmac('sha256', key)
    .update('zt4ai payload key id v1')
    .digest('base64url')
    .slice(0, 22);
}

function payloadContext(agent: string, digest: string): string {
  return `zt4ai payload v1\n${agent}\n${digest}`;
}
