// Carries out the rules one event fired for one agent (docs/containment.md, "Actions"): opens or
// joins the agent's incident, runs the union of the rules' actions — the ones that stop the agent
// together and first, reporting last — so that whatever fails, the agent is stopped as far as it
// can be. The outcome is one audit entry (which, with `snapshot`, links the entries that triggered
// it) and one batch of timeline lines, each action and each failure a line of its own. When the
// incident cannot be opened, the agent is stopped all the same and the audit entry says why there
// is no incident.
import type { ContainmentAction } from '../config/index.js';
import type { GrantService } from '../grants/index.js';
import type { IdentityService } from '../identity/index.js';
import type { Incidents, TimelineLine } from './incidents.js';
import type { SessionRegistry } from './live-sessions.js';
import type { Firing } from './trigger-detector.js';
import type { WebhookOutbox } from './webhook-outbox.js';

export interface ContainmentDeps {
  readonly identity: Pick<
    IdentityService,
    'agentStatus' | 'setStatus' | 'revoke' | 'requireReapproval'
  >;
  readonly grants: Pick<GrantService, 'revokeAllOf'>;
  readonly sessions: Pick<SessionRegistry, 'terminate'>;
  readonly incidents: Incidents;
  readonly outbox: Pick<WebhookOutbox, 'enqueue'>;
  readonly audit: { append(event: { type: string } & Record<string, unknown>): Promise<number> };
  readonly now: () => number;
}

export interface ContainmentOutcome {
  readonly incident: string;
  readonly opened: boolean;
  readonly done: readonly ContainmentAction[];
  readonly failed: readonly ContainmentAction[];
  /** Audit index of the `remediation.contained` entry. */
  readonly index: number;
}

/** Actions that stop the agent; they run together, before anything is reported. */
export const STOPPING: readonly ContainmentAction[] = [
  'quarantine',
  'revoke',
  'kill-sessions',
  'require-reapproval',
];
/** The same rule firing again for an open incident within this time only adds a timeline line. */
const REPEAT_QUIET_MS = 60_000;

export class Containment {
  readonly #deps: ContainmentDeps;
  /** `incident rule` → when it last ran its actions. */
  readonly #lastRun = new Map<string, number>();

  constructor(deps: ContainmentDeps) {
    this.#deps = deps;
  }

  /**
   * Runs the rules `firings` (all for one agent, from one event) fired; undefined when every one of
   * them ran for the agent's open incident a moment ago (then only the timeline grows).
   */
  async contain(
    agent: string,
    firings: readonly Firing[],
  ): Promise<ContainmentOutcome | undefined> {
    const { incidents } = this.#deps;
    const opening = await incidents.openOrJoin(agent, firings[0]?.rule.id ?? 'unknown').then(
      (incident) => incident,
      (error: unknown) => ({ error }),
    );
    if ('error' in opening) {
      await this.#stopWithoutIncident(agent, firings, opening.error);
      throw opening.error;
    }
    const { id, opened } = opening;
    const lines: TimelineLine[] = firings.map((f) => ({
      kind: 'triggered',
      detail: `${f.rule.id}: ${f.detail}`,
      evidence: f.evidence,
    }));
    const fresh = firings.filter((f) => opened || !this.#ranRecently(id, f.rule.id));
    if (fresh.length === 0) {
      await incidents.record(id, lines);
      return undefined;
    }
    for (const f of fresh) this.#markRun(id, f.rule.id);
    const plan = planOf(fresh);
    const { wanted, rules, reason } = plan;
    const { done, failed } = await this.#stop(plan, agent, id, lines);
    const evidence = [...new Set(fresh.flatMap((f) => f.evidence))].sort((a, b) => a - b);
    const snapshot = wanted.has('snapshot');
    const index = await this.#deps.audit.append({
      type: 'remediation.contained',
      agent,
      incident: id,
      rules,
      detail: reason,
      actions: done,
      failed,
      ...(snapshot ? { evidence } : {}),
    });
    if (snapshot) {
      done.push('snapshot');
      lines.push({
        kind: 'evidence',
        detail: 'containment recorded in the audit log',
        evidence: [index],
      });
    }
    const outcome = { incident: id, opened, done, failed, index };
    if (wanted.has('notify'))
      lines.push(await this.#notify(agent, rules, reason, evidence, outcome));
    await incidents.record(id, lines);
    return outcome;
  }

  /** The stopping actions the plan wants, together; each outcome is also a line of `lines`. */
  async #stop(
    plan: Plan,
    agent: string,
    incident: string | undefined,
    lines: TimelineLine[],
  ): Promise<{ done: ContainmentAction[]; failed: ContainmentAction[] }> {
    const stopping = STOPPING.filter((a) => plan.wanted.has(a));
    const results = await Promise.allSettled(
      stopping.map((action) => this.#run(action, agent, incident, plan.actor, plan.reason)),
    );
    const done: ContainmentAction[] = [];
    const failed: ContainmentAction[] = [];
    results.forEach((result, i) => {
      const action = stopping[i] as ContainmentAction;
      (result.status === 'fulfilled' ? done : failed).push(action);
      lines.push(
        result.status === 'fulfilled'
          ? { kind: 'action', detail: `${action}: ${result.value}` }
          : { kind: 'action-failed', detail: `${action}: ${describe(result.reason)}` },
      );
    });
    return { done, failed };
  }

  /**
   * The incident could not be opened (its store failed): the agent is stopped anyway, and the
   * audit log — if it can still be written — says what was done and why there is no incident.
   */
  async #stopWithoutIncident(
    agent: string,
    firings: readonly Firing[],
    error: unknown,
  ): Promise<void> {
    const plan = planOf(firings);
    const { done, failed } = await this.#stop(plan, agent, undefined, []);
    await this.#deps.audit
      .append({
        type: 'remediation.contained',
        agent,
        incident: null,
        incidentError: describe(error),
        rules: plan.rules,
        detail: plan.reason,
        actions: done,
        failed,
      })
      .catch(() => undefined);
  }

  /** One stopping action; resolves with what it did, in words. */
  async #run(
    action: ContainmentAction,
    agent: string,
    incident: string | undefined,
    actor: string,
    reason: string,
  ): Promise<string> {
    const { identity, grants, sessions, incidents } = this.#deps;
    switch (action) {
      case 'quarantine': {
        const status = await identity.agentStatus(agent);
        if (status !== 'quarantined') await identity.setStatus(agent, 'quarantined', actor, reason);
        if (incident !== undefined) await incidents.markQuarantined(incident);
        return status === 'quarantined' ? 'already quarantined' : 'agent quarantined';
      }
      case 'revoke': {
        const [, revoked] = await Promise.all([
          identity.revoke({ agent }, actor, reason),
          grants.revokeAllOf(agent, actor, reason),
        ]);
        return `every certificate and ${revoked} grant(s) revoked`;
      }
      case 'kill-sessions':
        return `${await sessions.terminate(agent)} live session(s) or stream(s) ended`;
      case 'require-reapproval':
        await identity.requireReapproval(agent, actor, reason);
        return 'the approved profile is back in review';
      default:
        return 'nothing to do';
    }
  }

  /** Queues the notification; the timeline line that says so (or why not). */
  async #notify(
    agent: string,
    rules: readonly string[],
    detail: string,
    evidence: readonly number[],
    outcome: ContainmentOutcome,
  ): Promise<TimelineLine> {
    try {
      const id = await this.#deps.outbox.enqueue({
        type: outcome.opened ? 'incident.opened' : 'incident.updated',
        incident: outcome.incident,
        agent,
        rules,
        detail,
        actions: [...outcome.done, 'notify'],
        failed: outcome.failed,
        evidence,
        auditIndex: outcome.index,
        at: new Date(this.#deps.now()).toISOString(),
      });
      const said = id === undefined ? 'no webhook is configured' : `queued as ${id}`;
      return { kind: 'action', detail: `notify: ${said}` };
    } catch (error) {
      return { kind: 'action-failed', detail: `notify: ${describe(error)}` };
    }
  }

  #ranRecently(incident: string, rule: string): boolean {
    const last = this.#lastRun.get(`${incident} ${rule}`);
    return last !== undefined && this.#deps.now() - last < REPEAT_QUIET_MS;
  }

  #markRun(incident: string, rule: string): void {
    if (this.#lastRun.size >= 10_000) this.#lastRun.clear();
    this.#lastRun.set(`${incident} ${rule}`, this.#deps.now());
  }
}

/** What the rules that fired want done, and in whose name. */
interface Plan {
  readonly wanted: ReadonlySet<ContainmentAction>;
  readonly rules: readonly string[];
  readonly reason: string;
  readonly actor: string;
}

function planOf(firings: readonly Firing[]): Plan {
  const rules = firings.map((f) => f.rule.id);
  return {
    wanted: new Set(firings.flatMap((f) => f.rule.then)),
    rules,
    reason: firings.map((f) => `${f.rule.id}: ${f.detail}`).join('; '),
    actor: `remediation:${rules.join('+')}`,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown failure';
}
