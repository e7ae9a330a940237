// One-time login links: an admin (or the first start) issues one for an operator; redeeming it once,
// before it expires, opens a session. The store keeps only the token's hash.
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.js';
import { isSecretToken, newSecretToken, tokenHash } from './secret-token.js';

export class LoginLinks {
  readonly #db: Kysely<Database>;
  readonly #now: () => Date;

  constructor(db: Kysely<Database>, now: () => Date) {
    this.#db = db;
    this.#now = now;
  }

  /** A new token for `operator`, valid for `ttlSeconds`. */
  async issue(operator: string, ttlSeconds: number): Promise<{ token: string; expiresAt: string }> {
    const token = newSecretToken();
    const now = this.#now();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000).toISOString();
    await this.#db
      .insertInto('operator_login_links')
      .values({
        token_hash: tokenHash(token),
        operator,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
    return { token, expiresAt };
  }

  /**
   * The operator a token names, marking it used. MUST succeed at most once per token: the update
   * that marks it used is also the check that it was unused and unexpired.
   */
  async redeem(token: unknown): Promise<string | undefined> {
    if (!isSecretToken(token)) return undefined;
    const now = this.#now().toISOString();
    const hash = tokenHash(token);
    const updated = await this.#db
      .updateTable('operator_login_links')
      .set({ used_at: now })
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return undefined;
    const row = await this.#db
      .selectFrom('operator_login_links')
      .select('operator')
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    return row?.operator;
  }
}
