// The kill switch (docs/containment.md): an administrator stops every agent, one team or one
// mission at once, and resumes it. A switch in force makes its agents `halted` in the security
// state (identity/security-state.ts): certificates stop verifying, nothing is issued and no grant is
// in force, on every gateway sharing the store from its next call. Both steps are audited.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ZtError } from '../errors.js';
import type { Database, KillSwitchRow, KillSwitchScope, Store } from '../store/index.js';
import { type Released, releasedFrom } from './released.js';

export type KillSwitchTarget =
  | { readonly scope: 'all' }
  | { readonly scope: 'team'; readonly team: string }
  | { readonly scope: 'mission'; readonly mission: string };

export interface KillSwitchState {
  readonly id: string;
  readonly scope: KillSwitchScope;
  /** The team or mission ('' for all). */
  readonly subject: string;
  readonly reason: string;
  readonly engagedBy: string;
  readonly engagedAt: string;
  readonly released?: Released;
}

export interface KillSwitchDeps {
  readonly store: Store;
  readonly audit: { append(event: { type: string } & Record<string, unknown>): Promise<number> };
  readonly requireAdmin: (operator: string) => Promise<void>;
  readonly now: () => Date;
}

const SUBJECT = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;
const MAX_REASON = 2000;

export class KillSwitch {
  readonly #deps: KillSwitchDeps;

  constructor(deps: KillSwitchDeps) {
    this.#deps = deps;
  }

  /** Stops the target's agents from their next call, on every gateway. */
  async engage(
    target: KillSwitchTarget,
    operator: string,
    reason: string,
  ): Promise<KillSwitchState> {
    await this.#deps.requireAdmin(operator);
    const subject = subjectOf(target);
    const row: KillSwitchRow = {
      id: `ks_${randomUUID()}`,
      scope: target.scope,
      subject,
      reason: requireReason(reason),
      engaged_by: operator,
      engaged_at: this.#deps.now().toISOString(),
      released_by: null,
      released_at: null,
      release_reason: null,
    };
    await this.#db.insertInto('kill_switches').values(row).execute();
    await this.#deps.store.announceChange();
    await this.#deps.audit.append({
      type: 'remediation.kill-switch.engaged',
      actor: operator,
      killSwitch: row.id,
      scope: row.scope,
      subject,
      reason: row.reason,
    });
    return toState(row);
  }

  /** Resumes the agents a switch stopped (unless another switch or a quarantine holds them). */
  async release(id: string, operator: string, reason: string): Promise<KillSwitchState> {
    await this.#deps.requireAdmin(operator);
    const result = await this.#db
      .updateTable('kill_switches')
      .set({
        released_by: operator,
        released_at: this.#deps.now().toISOString(),
        release_reason: requireReason(reason),
      })
      .where('id', '=', id)
      .where('released_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1)
      throw new ZtError('kill-switch-not-engaged', `kill switch ${id} is not engaged`);
    await this.#deps.store.announceChange();
    await this.#deps.audit.append({
      type: 'remediation.kill-switch.released',
      actor: operator,
      killSwitch: id,
      reason,
    });
    return toState(
      await this.#db
        .selectFrom('kill_switches')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow(),
    );
  }

  /** Switches in force, or all of them (newest first) with `includeReleased`. */
  async list(includeReleased = false): Promise<KillSwitchState[]> {
    let query = this.#db.selectFrom('kill_switches').selectAll();
    if (!includeReleased) query = query.where('released_at', 'is', null);
    return (await query.orderBy('engaged_at', 'desc').limit(500).execute()).map(toState);
  }

  get #db(): Kysely<Database> {
    return this.#deps.store.db;
  }
}

function subjectOf(target: KillSwitchTarget): string {
  if (target.scope === 'all') return '';
  const subject = target.scope === 'team' ? target.team : target.mission;
  if (!SUBJECT.test(subject))
    throw new ZtError(
      'invalid-argument',
      `a ${target.scope} id is 1 to 200 letters, digits or _.:@-`,
    );
  return subject;
}

function requireReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed === '') throw new ZtError('invalid-argument', 'a reason is required');
  return trimmed.slice(0, MAX_REASON);
}

function toState(row: KillSwitchRow): KillSwitchState {
  return {
    id: row.id,
    scope: row.scope,
    subject: row.subject,
    reason: row.reason,
    engagedBy: row.engaged_by,
    engagedAt: row.engaged_at,
    ...releasedFrom(row),
  };
}
