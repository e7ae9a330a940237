// Step 8 of DESIGN §2, "react": remediation rules see every event this process records and turn
// detections into containment (docs/containment.md). The face of remediation/: the rules at work,
// incidents, the kill switch, the live sessions containment ends, and the webhook outbox.
//
// Contract: a rule that fires on an event is carried out before that event's append resolves, so
// an enforcement point that awaits its decision's record (all of them do) answers the triggering
// request only once the agent is contained.
import type { Logger } from 'pino';
import {
  type AuditLog,
  type FollowedEvent,
  LogFollower,
  type RecordedEvent,
} from '../audit/index.js';
import type { RemediationConfig } from '../config/index.js';
import { ZtError } from '../errors.js';
import type { GrantService } from '../grants/index.js';
import type { IdentityService } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { Containment } from './containment.js';
import { type Incident, Incidents } from './incidents.js';
import { KillSwitch } from './kill-switch.js';
import { SessionRegistry } from './live-sessions.js';
import { type Firing, TriggerDetector } from './trigger-detector.js';
import { WebhookOutbox } from './webhook-outbox.js';

export interface RemediationOptions {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly identity: IdentityService;
  readonly grants: GrantService;
  readonly config: RemediationConfig;
  readonly now?: () => Date;
}

type StartLogger = Pick<Logger, 'warn' | 'error'>;

/** How soon another gateway's events count in the stateful triggers at the latest. */
const FOLLOW_INTERVAL_MS = 500;

export class Remediation {
  readonly incidents: Incidents;
  readonly killSwitch: KillSwitch;
  /** Enforcement points register their live connections here (kill-sessions). */
  readonly sessions = new SessionRegistry();
  readonly #options: RemediationOptions;
  readonly #now: () => Date;
  #running:
    | { outbox: WebhookOutbox; unsubscribe: () => void; follower: LogFollower | undefined }
    | undefined;

  constructor(options: RemediationOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.incidents = new Incidents(options.store.db, options.audit, this.#now);
    this.killSwitch = new KillSwitch({
      store: options.store,
      audit: options.audit,
      requireAdmin: (operator) => options.grants.operators.requireAdmin(operator),
      now: this.#now,
    });
  }

  /** The rules in force. */
  get rules(): RemediationConfig['rules'] {
    return this.#options.config.rules;
  }

  get started(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Puts the rules to work in this process: every recorded event is checked, the webhook outbox is
   * delivered, and live sessions of agents contained elsewhere are ended. Idempotent.
   */
  start(logger: StartLogger): void {
    if (this.#running !== undefined) return;
    const { store, audit, identity, grants, config } = this.#options;
    const outbox = new WebhookOutbox({
      db: store.db,
      config: config.webhook,
      logger,
      now: this.#now,
    });
    const containment = new Containment({
      identity,
      grants,
      sessions: this.sessions,
      incidents: this.incidents,
      outbox,
      audit,
      now: () => this.#now().getTime(),
    });
    const detector = new TriggerDetector(config.rules, () => this.#now().getTime());
    const onError = (error: unknown): void =>
      logger.error({ err: error }, 'containment failed; the event stays in the audit log');
    const unsubscribe = audit.onRecorded(
      (recorded: RecordedEvent) => contain(containment, detector.observeStateless(recorded)),
      onError,
    );
    // Stateful triggers count every gateway's events in log order; the gateway that recorded the
    // event completing a burst is the one that contains.
    const follower = detector.stateful
      ? new LogFollower(audit, {
          from: 'end',
          intervalMs: FOLLOW_INTERVAL_MS,
          onEvents: (events) => containStateful(detector, containment, events),
          onError,
          // Only where a completed burst stops the agent does the append wait for the read.
          awaitLocal: (recorded) => detector.stopsOn(recorded),
        })
      : undefined;
    follower?.start();
    outbox.start();
    this.sessions.watch({
      changeToken: () => store.changeToken(),
      agentStatus: (agent) => identity.agentStatus(agent),
      onError,
    });
    this.#running = { outbox, unsubscribe, follower };
  }

  /** Stops reacting and waits for the notification being delivered. */
  async stop(): Promise<void> {
    const running = this.#running;
    if (running === undefined) return;
    this.#running = undefined;
    running.unsubscribe();
    await running.follower?.stop();
    this.sessions.stop();
    await running.outbox.stop();
  }

  /**
   * Releases an incident: an approver, with a reason. An agent the incident quarantined becomes
   * active again (its certificates stay revoked: it asks for new ones).
   */
  async release(id: string, operator: string, reason: string): Promise<Incident> {
    await this.#options.grants.operators.requireApprover(operator);
    if (reason.trim() === '') throw new ZtError('invalid-argument', 'a reason is required');
    const incident = await this.incidents.release(id, operator, reason.trim());
    await this.#options.audit.append({
      type: 'remediation.incident.released',
      actor: operator,
      incident: id,
      agent: incident.agent,
      reason: reason.trim(),
    });
    const identity = this.#options.identity;
    const agent = await identity.agents.get(incident.agent);
    if (incident.quarantined && agent.status === 'quarantined')
      await identity.setStatus(agent.id, 'active', operator, `incident ${id} released: ${reason}`);
    return this.incidents.get(id);
  }
}

/** Carries out `firings` of one event; a promise only when one fired (the common case is sync). */
function contain(containment: Containment, firings: readonly Firing[]): Promise<void> | undefined {
  if (firings.length === 0) return undefined;
  // Every firing of one event names the event's agent: one containment for all of them.
  return containment.contain(firings[0]?.agent ?? '', firings).then(() => undefined);
}

/**
 * Counts `events` in the stateful triggers and contains for the firings of events this process
 * recorded, one after another; a promise only when one fired.
 */
function containStateful(
  detector: TriggerDetector,
  containment: Containment,
  events: readonly FollowedEvent[],
): Promise<void> | undefined {
  let pending: Promise<void> | undefined;
  for (const followed of events) {
    const firings = detector.observeStateful(followed);
    if (!followed.local || firings.length === 0) continue;
    pending = (pending ?? Promise.resolve()).then(() => contain(containment, firings));
  }
  return pending;
}
