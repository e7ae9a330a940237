// Incidents (docs/containment.md): every containment opens one for its agent, or joins the agent's
// open one, so a storm of detections is one incident with a long timeline. Its evidence is audit
// indexes, served with inclusion proofs. Releasing an incident that quarantined its agent needs an
// approver and a reason, and makes the agent active again.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog, ProvenEntries } from '../audit/index.js';
import { ZtError } from '../errors.js';
import type { Database, IncidentEventRow, IncidentRow, IncidentStatus } from '../store/index.js';
import { type Released, releasedFrom } from './released.js';

export interface IncidentEvent {
  readonly seq: number;
  readonly at: string;
  /** `triggered`, `action`, `action-failed`, `evidence` or `released`. */
  readonly kind: string;
  readonly detail: string;
  readonly evidence: readonly number[];
}

/** A line about to be added to a timeline. */
export interface TimelineLine {
  readonly kind: string;
  readonly detail: string;
  readonly evidence?: readonly number[];
}

export interface Incident {
  readonly id: string;
  readonly agent: string;
  readonly status: IncidentStatus;
  /** The rule that opened it. */
  readonly rule: string;
  readonly openedAt: string;
  readonly quarantined: boolean;
  readonly released?: Released;
}

export interface IncidentDetail extends Incident {
  readonly timeline: readonly IncidentEvent[];
  /** Every audit index the timeline rests on, in order. */
  readonly evidence: readonly number[];
}

const MAX_DETAIL = 2000;
const MAX_LIST = 500;
const NOTE_ATTEMPTS = 3;

export class Incidents {
  readonly #db: Kysely<Database>;
  readonly #audit: Pick<AuditLog, 'provenEntries'>;
  readonly #now: () => Date;

  constructor(db: Kysely<Database>, audit: Pick<AuditLog, 'provenEntries'>, now: () => Date) {
    this.#db = db;
    this.#audit = audit;
    this.#now = now;
  }

  /**
   * The agent's open incident, or a new one opened by `rule`; `opened` tells which. At most one
   * incident per agent is open (a unique index): a process that loses the race joins the winner's.
   */
  async openOrJoin(agent: string, rule: string): Promise<{ id: string; opened: boolean }> {
    const open = await this.#openOf(agent);
    if (open !== undefined) return { id: open, opened: false };
    const id = `inc_${randomUUID()}`;
    try {
      await this.#db
        .insertInto('incidents')
        .values({
          id,
          agent,
          status: 'open',
          opened_by_rule: rule,
          opened_at: this.#now().toISOString(),
          quarantined: 0,
        })
        .execute();
      return { id, opened: true };
    } catch (error) {
      const winner = await this.#openOf(agent);
      if (winner === undefined) throw error;
      return { id: winner, opened: false };
    }
  }

  /** Adds a line to an incident's timeline. */
  async note(id: string, kind: string, detail: string, evidence: readonly number[] = []) {
    await this.record(id, [{ kind, detail, evidence }]);
  }

  /**
   * Adds lines to an incident's timeline in one statement (retried when another process took the
   * same line numbers).
   */
  async record(id: string, lines: readonly TimelineLine[]): Promise<void> {
    if (lines.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#append(id, lines);
        return;
      } catch (error) {
        if (attempt >= NOTE_ATTEMPTS) throw error;
      }
    }
  }

  async #append(id: string, lines: readonly TimelineLine[]): Promise<void> {
    const last = await this.#db
      .selectFrom('incident_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('incident', '=', id)
      .executeTakeFirst();
    const first = Number(last?.seq ?? 0) + 1;
    const at = this.#now().toISOString();
    await this.#db
      .insertInto('incident_events')
      .values(
        lines.map((line, i) => ({
          incident: id,
          seq: first + i,
          at,
          kind: line.kind,
          detail: line.detail.slice(0, MAX_DETAIL),
          evidence: JSON.stringify(line.evidence ?? []),
        })),
      )
      .execute();
  }

  async #openOf(agent: string): Promise<string | undefined> {
    const open = await this.#db
      .selectFrom('incidents')
      .select('id')
      .where('agent', '=', agent)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return open?.id;
  }

  /** Marks that containment quarantined the incident's agent. */
  async markQuarantined(id: string): Promise<void> {
    await this.#db.updateTable('incidents').set({ quarantined: 1 }).where('id', '=', id).execute();
  }

  async list(filter: { status?: IncidentStatus; agent?: string } = {}): Promise<Incident[]> {
    let query = this.#db.selectFrom('incidents').selectAll();
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.agent !== undefined) query = query.where('agent', '=', filter.agent);
    const rows = await query.orderBy('opened_at', 'desc').limit(MAX_LIST).execute();
    return rows.map(toIncident);
  }

  async get(id: string): Promise<IncidentDetail> {
    const row = await this.#db
      .selectFrom('incidents')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new ZtError('not-found', `no incident ${id}`);
    const events = await this.#db
      .selectFrom('incident_events')
      .selectAll()
      .where('incident', '=', id)
      .orderBy('seq')
      .execute();
    const timeline = events.map(toEvent);
    const evidence = [...new Set(timeline.flatMap((e) => e.evidence))].sort((a, b) => a - b);
    return { ...toIncident(row), timeline, evidence };
  }

  /** The incident's evidence entries with inclusion proofs against one signed checkpoint. */
  async evidence(id: string): Promise<ProvenEntries> {
    return this.#audit.provenEntries((await this.get(id)).evidence);
  }

  /**
   * Closes an open incident (the caller checked the operator's role). Returns it as it was, so the
   * caller knows whether its agent must be made active again.
   */
  async release(id: string, operator: string, reason: string): Promise<Incident> {
    const incident = toIncident(
      (await this.#db
        .selectFrom('incidents')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()) ?? notFound(id),
    );
    const released = await this.#db
      .updateTable('incidents')
      .set({
        status: 'released',
        released_by: operator,
        released_at: this.#now().toISOString(),
        release_reason: reason.slice(0, MAX_DETAIL),
      })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    if (Number(released.numUpdatedRows) !== 1)
      throw new ZtError('incident-not-open', `incident ${id} is already released`);
    await this.note(id, 'released', `released by ${operator}: ${reason}`);
    return incident;
  }
}

function toIncident(row: IncidentRow): Incident {
  return {
    id: row.id,
    agent: row.agent,
    status: row.status,
    rule: row.opened_by_rule,
    openedAt: row.opened_at,
    quarantined: row.quarantined === 1,
    ...releasedFrom(row),
  };
}

function toEvent(row: IncidentEventRow): IncidentEvent {
  return {
    seq: Number(row.seq),
    at: row.at,
    kind: row.kind,
    detail: row.detail,
    evidence: JSON.parse(row.evidence) as number[],
  };
}

function notFound(id: string): never {
  throw new ZtError('not-found', `no incident ${id}`);
}
