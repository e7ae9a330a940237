// Operator sessions: a random secret in an HttpOnly cookie, its hash in the store with the operator,
// the expiry and the CSRF token that state-changing requests must echo.
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.js';
import { isSecretToken, newSecretToken, tokenHash } from './secret-token.js';

export interface OpenedSession {
  /** The cookie value; never stored. */
  readonly secret: string;
  readonly csrfToken: string;
  readonly expiresAt: string;
}

export interface SessionRecord {
  readonly operator: string;
  readonly csrfToken: string;
  readonly expiresAt: string;
}

export class Sessions {
  readonly #db: Kysely<Database>;
  readonly #now: () => Date;

  constructor(db: Kysely<Database>, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  async open(operator: string, ttlSeconds: number): Promise<OpenedSession> {
    const secret = newSecretToken();
    const csrfToken = newSecretToken();
    const now = this.#now();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000).toISOString();
    await this.#db
      .insertInto('operator_sessions')
      .values({
        id_hash: tokenHash(secret),
        operator,
        csrf_token: csrfToken,
        created_at: now.toISOString(),
        expires_at: expiresAt,
      })
      .execute();
    return { secret, csrfToken, expiresAt };
  }

  /** The unexpired session a cookie value names, or undefined. */
  async find(secret: unknown): Promise<SessionRecord | undefined> {
    if (!isSecretToken(secret)) return undefined;
    const row = await this.#db
      .selectFrom('operator_sessions')
      .selectAll()
      .where('id_hash', '=', tokenHash(secret))
      .where('expires_at', '>', this.#now().toISOString())
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : { operator: row.operator, csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  async close(secret: unknown): Promise<void> {
    if (!isSecretToken(secret)) return;
    await this.#db
      .deleteFrom('operator_sessions')
      .where('id_hash', '=', tokenHash(secret))
      .execute();
  }

  /** Ends every session of an operator (roles changed, account removed). */
  async closeAll(operator: string): Promise<void> {
    await this.#db.deleteFrom('operator_sessions').where('operator', '=', operator).execute();
  }

  /** Forgets expired sessions. */
  async sweep(): Promise<void> {
    const now = this.#now().toISOString();
    await this.#db.deleteFrom('operator_sessions').where('expires_at', '<=', now).execute();
  }
}
