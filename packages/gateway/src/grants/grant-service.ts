// Least privilege (issue: ephemeral task grants): agents start with nothing; a grant gives one agent
// specific tools for one task, expires by itself, and risky ones wait for a human. Every step is an
// audit entry. The guard asks `find` whether a grant covers a call and `consume`s a use only once
// the policies allowed it.
import { ZtError } from '../errors.js';
import { type AuditSink, type IdentityService, newId } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { triageGrant } from './grant-risk.js';
import {
  type GrantPermission,
  parsePermission,
  parsePermissionSpec,
  permits,
} from './grant-scope.js';
import { type Grant, GrantStore } from './grant-store.js';
import { InForceCache } from './in-force-cache.js';
import { Operators } from './operators.js';
import { UseCounter } from './use-counter.js';

export interface GrantRequest {
  readonly agent: string;
  readonly task: string;
  readonly purpose?: string;
  /** `ACTION:RESOURCE` strings or permission objects with argument constraints. */
  readonly allow: ReadonlyArray<string | GrantPermission>;
  readonly ttlSeconds?: number;
  readonly maxUses?: number;
  readonly labels?: readonly string[];
  /** Spending the grant allows; at most what the mission's budget allows. */
  readonly budget?: { readonly limit: number; readonly currency: string };
}

export interface ToolKnowledge {
  /** Every tool name the control plane knows; a concrete permission must name one of them. */
  readonly known: () => readonly string[];
  readonly privileged: () => readonly string[];
}

const DEFAULT_TTL_SECONDS = 900;
const MAX_USES = 1_000_000;
const WAIT_POLL_MS = 200;

export class GrantService {
  readonly grants: GrantStore;
  readonly operators: Operators;
  readonly #identity: IdentityService;
  readonly #audit: AuditSink;
  readonly #tools: ToolKnowledge;
  readonly #now: () => Date;
  readonly #store: Store;
  readonly #inForce: InForceCache;
  readonly #uses: UseCounter;

  constructor(options: {
    store: Store;
    identity: IdentityService;
    audit: AuditSink;
    tools: ToolKnowledge;
    now?: () => Date;
  }) {
    this.#now = options.now ?? (() => new Date());
    this.grants = new GrantStore(options.store.db);
    this.#store = options.store;
    this.#inForce = new InForceCache(options.store, (agent) =>
      this.grants.activeUnexpired(agent, this.#now().toISOString()),
    );
    this.#uses = new UseCounter((id, uses) => this.grants.addUses(id, uses));
    this.operators = new Operators(options.store.db, this.#now);
    this.#identity = options.identity;
    this.#audit = options.audit;
    this.#tools = options.tools;
  }

  /**
   * Records a grant request after checking everything (nothing is written when a check fails) and
   * triages it: within the mission and low risk → active at once; risky → pending; outside → denied.
   */
  async request(input: GrantRequest, requestedBy: string): Promise<Grant> {
    return this.#request(input, requestedBy, 'task');
  }

  async #request(
    input: GrantRequest,
    requestedBy: string,
    kind: 'task' | 'elevation',
  ): Promise<Grant> {
    const agent = await this.#identity.agents.get(input.agent);
    if (agent.status !== 'active')
      throw new ZtError(
        'agent-not-active',
        `agent is ${agent.status}; grants are for active agents`,
      );
    const profile = await this.#identity.agents.approvedProfile(agent.id);
    if (profile === undefined)
      throw new ZtError('profile-not-approved', 'agent has no approved profile');
    const mission = await this.#identity.missions.get(profile.mission.id, profile.mission.version);
    const allow = input.allow.map((p) =>
      typeof p === 'string' ? parsePermissionSpec(p) : parsePermission(p),
    );
    if (allow.length === 0)
      throw new ZtError('grant-invalid', 'a grant needs at least one permission');
    this.#checkToolsKnown(allow);
    const ttlSeconds =
      input.ttlSeconds ?? Math.min(DEFAULT_TTL_SECONDS, mission.manifest.maxGrantTtlSeconds);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1)
      throw new ZtError('grant-invalid', 'ttl must be a positive number of seconds');
    if (ttlSeconds > mission.manifest.maxGrantTtlSeconds) {
      throw new ZtError(
        'grant-ttl-exceeds-mission',
        `the mission allows grants of at most ${mission.manifest.maxGrantTtlSeconds} seconds`,
      );
    }
    if (
      input.maxUses !== undefined &&
      (!Number.isInteger(input.maxUses) || input.maxUses < 1 || input.maxUses > MAX_USES)
    ) {
      throw new ZtError('grant-invalid', `max uses must be 1 to ${MAX_USES}`);
    }
    if (typeof input.task !== 'string' || input.task.trim() === '' || input.task.length > 1000) {
      throw new ZtError('grant-invalid', 'a grant needs a task of 1 to 1000 characters');
    }
    const labels = [...new Set(input.labels ?? [])];
    const budget = checkBudget(input.budget, mission.manifest.budget);
    const triage = triageGrant({
      allow,
      ttlSeconds,
      maxUses: input.maxUses,
      labels,
      mission: {
        actions: mission.manifest.allow.actions,
        tools: mission.manifest.allow.tools,
        dataClasses: mission.manifest.dataClasses,
      },
      privilegedTools: this.#tools.privileged(),
    });
    const now = this.#now();
    // An elevation always waits for a human, whatever the triage says; a denial stays a denial.
    const outcome =
      kind === 'elevation' && triage.outcome === 'approve' ? 'pending' : triage.outcome;
    const status = outcome === 'approve' ? 'active' : outcome === 'pending' ? 'pending' : 'denied';
    const row = {
      id: newId('grt'),
      agent: agent.id,
      mission: mission.id,
      kind,
      task: input.task,
      purpose: input.purpose ?? '',
      allow: JSON.stringify(allow),
      labels: JSON.stringify(labels),
      not_before: now.toISOString(),
      expires_at: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
      max_uses: input.maxUses ?? null,
      uses: 0,
      budget: budget === undefined ? null : JSON.stringify(budget),
      // Inserted not yet in force: it becomes active only after its audit entry is durable.
      status: status === 'active' ? ('pending' as const) : status,
      requested_by: requestedBy,
      decided_by: status === 'pending' ? null : 'policy',
      decided_at: status === 'pending' ? null : now.toISOString(),
      decision_reason: triage.reason,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    } as const;
    await this.grants.insert(row);
    await this.#recordOrUndo(row.id, 'grant.requested', requestedBy, {
      kind,
      grant: row.id,
      agent: agent.id,
      status,
      reason: triage.reason,
      allow,
      ttlSeconds,
      maxUses: row.max_uses,
    });
    if (status === 'active') {
      await this.#transition(row.id, ['pending'], 'active', {
        by: 'policy',
        at: row.created_at,
        reason: triage.reason,
      });
    }
    return this.grants.get(row.id);
  }

  /** Approves a pending request. Only an approver; never the requester; never an agent. */
  async approve(id: string, approver: string, reason: string): Promise<Grant> {
    return this.#decide(id, approver, reason, 'active');
  }

  async deny(id: string, approver: string, reason: string): Promise<Grant> {
    return this.#decide(id, approver, reason, 'denied');
  }

  /** Ends a grant early: revoked by an operator or containment. */
  async revoke(id: string, actor: string, reason: string): Promise<Grant> {
    return this.#end(id, actor, reason, 'revoked', 'grant.revoked');
  }

  /** Containment: revokes every active or pending grant of an agent; returns how many. */
  async revokeAllOf(agent: string, actor: string, reason: string): Promise<number> {
    const open = [
      ...(await this.grants.list({ agent, status: 'active' })),
      ...(await this.grants.list({ agent, status: 'pending' })),
    ];
    let revoked = 0;
    for (const grant of open) {
      try {
        await this.revoke(grant.id, actor, reason);
        revoked++;
      } catch (error) {
        // Ended meanwhile (expired, used up, revoked by someone else): nothing left to revoke.
        if (!(error instanceof ZtError && error.code === 'grant-not-pending')) throw error;
      }
    }
    return revoked;
  }

  /** The task is done: the agent (or an operator) ends its grant. */
  async endTask(id: string, actor: string): Promise<Grant> {
    return this.#end(id, actor, 'task ended', 'ended', 'grant.ended');
  }

  /** Waits until a pending grant is decided, or `timeoutMs` passes; returns its state then. */
  async waitForDecision(id: string, timeoutMs: number): Promise<Grant> {
    const deadline = Date.now() + Math.min(Math.max(timeoutMs, 0), 120_000);
    for (;;) {
      const grant = await this.grants.get(id);
      if (grant.status !== 'pending' || Date.now() >= deadline) return grant;
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }

  /**
   * Just-in-time elevation: a call that a policy sent for approval becomes a pending request for
   * exactly that call (one use). Only a human approval of it lets the call through.
   */
  async elevate(agent: string, action: string, tool: string, reason: string): Promise<Grant> {
    const task = `approval for ${action} ${tool}: ${reason}`.slice(0, 1000);
    return this.#request(
      { agent, task, allow: [{ action, resource: tool }], maxUses: 1 },
      `agent:${agent}`,
      'elevation',
    );
  }

  /** The guard's view: which grant in force covers a call, and taking one use of it. */
  check() {
    return {
      elevate: async (
        agent: string,
        action: string,
        tool: string,
        reason: string,
      ): Promise<string> => (await this.elevate(agent, action, tool, reason)).id,
      find: async (
        agent: string,
        action: string,
        tool: string,
        args: unknown,
      ): Promise<GrantMatch | undefined> => {
        // A grant is never in force for an agent that is not active (quarantined, retired).
        if ((await this.#identity.agentStatus(agent)) !== 'active') return undefined;
        const grants = await this.#inForce.inForce(agent, this.#now());
        const covering = grants.filter((g) => g.allow.some((p) => permits(p, action, tool, args)));
        // Prefer a human-approved elevation for this very call: it is what approval policies wait for.
        const chosen = covering.find((g) => humanApprovedElevation(g)) ?? covering[0];
        return chosen === undefined
          ? undefined
          : { id: chosen.id, humanApproved: humanApprovedElevation(chosen) };
      },
      consume: (id: string, agent: string): Promise<boolean> => this.#consume(id, agent),
    };
  }

  /**
   * Takes one use. A use-limited grant is consumed in the store (one conditional statement, exact
   * under concurrency). A grant without a limit only needs to be still in force, which the cache
   * (revalidated against the change token) says; its use is counted in the background.
   */
  async #consume(id: string, agent: string): Promise<boolean> {
    const now = this.#now();
    const grant = (await this.#inForce.inForce(agent, now)).find((g) => g.id === id);
    if (grant?.maxUses === null) {
      this.#uses.add(id);
      return true;
    }
    const consumed = await this.grants.consume(id, now.toISOString());
    if (consumed) this.#inForce.used(agent, id);
    else this.#inForce.forget(agent);
    return consumed;
  }

  /** Writes the background use counts (call before closing the store). */
  flush(): Promise<void> {
    return this.#uses.flush();
  }

  /** A status change, announced to every process sharing the store so that caches reload. */
  async #transition(...args: Parameters<GrantStore['transition']>): Promise<boolean> {
    const changed = await this.grants.transition(...args);
    if (changed) await this.#store.announceChange();
    return changed;
  }

  /** "Which tools may this agent see now": tools some grant in force lets it call. */
  async visibleTools(agent: string, tools: readonly string[]): Promise<string[]> {
    const grants = await this.#inForce.inForce(agent, this.#now());
    const permissions = grants.flatMap((g) => g.allow);
    return tools.filter((tool) =>
      permissions.some((p) =>
        permits({ action: p.action, resource: p.resource }, 'tools/call', tool, {}),
      ),
    );
  }

  async #decide(
    id: string,
    approver: string,
    reason: string,
    to: 'active' | 'denied',
  ): Promise<Grant> {
    await this.operators.requireApprover(approver);
    const grant = await this.grants.get(id);
    if (grant.requestedBy === approver)
      throw new ZtError('self-approval', 'an approver cannot decide a request they made');
    if (grant.requestedBy === `agent:${grant.agent}` && approver === `agent:${grant.agent}`) {
      throw new ZtError('self-approval', 'an agent never approves its own request');
    }
    if (reason.trim() === '') throw new ZtError('invalid-argument', 'a decision needs a reason');
    const now = this.#now().toISOString();
    if (!(await this.#transition(id, ['pending'], to, { by: approver, at: now, reason }))) {
      throw new ZtError('grant-not-pending', `grant is ${grant.status}, not pending`);
    }
    await this.#record(to === 'active' ? 'grant.approved' : 'grant.denied', approver, {
      grant: id,
      agent: grant.agent,
      reason,
    });
    return this.grants.get(id);
  }

  async #end(
    id: string,
    actor: string,
    reason: string,
    to: 'revoked' | 'ended',
    type: string,
  ): Promise<Grant> {
    const grant = await this.grants.get(id);
    const now = this.#now().toISOString();
    if (!(await this.#transition(id, ['active', 'pending'], to, { by: actor, at: now, reason }))) {
      throw new ZtError('grant-not-pending', `grant is already ${grant.status}`);
    }
    await this.#record(type, actor, { grant: id, agent: grant.agent, reason });
    return this.grants.get(id);
  }

  #checkToolsKnown(allow: readonly GrantPermission[]): void {
    const known = this.#tools.known();
    for (const permission of allow) {
      if (permission.resource.includes('*')) continue;
      if (!known.includes(permission.resource))
        throw new ZtError('unknown-tool', `no tool named "${permission.resource}" is configured`);
    }
  }

  /** A request exists only with its audit entry: if that cannot be written, the row goes too. */
  async #recordOrUndo(
    id: string,
    type: string,
    actor: string,
    fields: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.#record(type, actor, fields);
    } catch (error) {
      await this.grants.remove(id);
      throw error;
    }
  }

  async #record(type: string, actor: string, fields: Record<string, unknown>): Promise<void> {
    await this.#audit.append({ type, actor, ...fields });
  }
}

/** What the guard learns of the grant covering a call. */
export interface GrantMatch {
  readonly id: string;
  /** An elevation a human approved: it satisfies a policy's `@approval("required")`. */
  readonly humanApproved: boolean;
}

function humanApprovedElevation(grant: Grant): boolean {
  return grant.kind === 'elevation' && grant.decidedBy !== null && grant.decidedBy !== 'policy';
}

function checkBudget(
  budget: GrantRequest['budget'],
  mission: { limit: number; currency: string } | undefined,
): { limit: number; currency: string } | undefined {
  if (budget === undefined) return undefined;
  if (!Number.isFinite(budget.limit) || budget.limit < 0 || !/^[A-Z]{3}$/.test(budget.currency)) {
    throw new ZtError('grant-invalid', 'budget must be {limit ≥ 0, currency: ISO 4217 code}');
  }
  if (
    mission !== undefined &&
    (budget.currency !== mission.currency || budget.limit > mission.limit)
  ) {
    throw new ZtError(
      'grant-invalid',
      `the mission's budget is ${mission.limit} ${mission.currency}`,
    );
  }
  return { limit: budget.limit, currency: budget.currency };
}
