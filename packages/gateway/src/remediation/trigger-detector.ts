// Turns recorded audit events into rule firings (docs/containment.md, "Triggers"). Deterministic:
// the same events in the same order fire the same rules. Stateless triggers look at one event.
// Stateful triggers (a burst of denials, a call rate far above the agent's own) keep small
// per-agent counters, fed with every event of the log in index order and timed by the events' own
// `time`, so that every gateway sharing a store counts alike.
import type { RemediationRule, TriggerConfig } from '../config/index.js';
import type { RecordedEvent } from '../audit/index.js';
import { STOPPING } from './containment.js';
import { DenialWindow } from './denial-window.js';
import { RateBaseline } from './rate-baseline.js';

/** One rule that fired for one agent, with the audit entries it rests on. */
export interface Firing {
  readonly rule: RemediationRule;
  readonly agent: string;
  /** Why, in words, for the incident timeline and the notification. */
  readonly detail: string;
  readonly evidence: readonly number[];
}

const SEVERITY_RANK: Readonly<Record<string, number>> = { low: 1, medium: 2, high: 3, critical: 4 };
/** The guard's decisions: calls an agent made, and tool calls a model proposed (screened). */
const DECISION_TYPES = new Set(['guard.decision', 'guard.screened']);

type Event = RecordedEvent['event'];

export class TriggerDetector {
  readonly #rules: readonly RemediationRule[];
  readonly #bursts = new Map<RemediationRule, DenialWindow>();
  readonly #rates = new Map<RemediationRule, RateBaseline>();
  /** The stateful rules that stop the agent (see stopsOn). */
  readonly #stoppingStateful: readonly RemediationRule[];

  constructor(rules: readonly RemediationRule[], now: () => number) {
    this.#rules = rules;
    this.#stoppingStateful = rules.filter(
      (rule) => isStateful(rule) && rule.then.some((action) => STOPPING.includes(action)),
    );
    for (const rule of rules) {
      if (rule.when.kind === 'denial-burst')
        this.#bursts.set(rule, new DenialWindow(rule.when, now));
      if (rule.when.kind === 'rate-anomaly')
        this.#rates.set(rule, new RateBaseline(rule.when, now));
    }
  }

  /** True when some rule counts events over time (denial-burst, rate-anomaly). */
  get stateful(): boolean {
    return this.#rules.some(isStateful);
  }

  /**
   * True when `recorded` counts in a stateful rule that stops the agent: such an event, when it
   * completes a burst, must be contained before its append resolves.
   */
  stopsOn(recorded: RecordedEvent): boolean {
    return this.#stoppingStateful.some((rule) => counts(rule.when, recorded.event));
  }

  /** The stateless rules `recorded` fires. */
  observeStateless(recorded: RecordedEvent): Firing[] {
    return this.#observe(recorded, (rule) => !isStateful(rule));
  }

  /** Counts `recorded` in the stateful rules; those it makes fire. */
  observeStateful(recorded: RecordedEvent): Firing[] {
    return this.#observe(recorded, isStateful);
  }

  #observe(recorded: RecordedEvent, which: (rule: RemediationRule) => boolean): Firing[] {
    const agent = recorded.event.agent;
    if (typeof agent !== 'string' || agent === '') return [];
    const firings: Firing[] = [];
    for (const rule of this.#rules) {
      if (!which(rule)) continue;
      const fired = this.#match(rule, recorded, agent);
      if (fired !== undefined) firings.push({ rule, agent, ...fired });
    }
    return firings;
  }

  #match(
    rule: RemediationRule,
    { index, event }: RecordedEvent,
    agent: string,
  ): { detail: string; evidence: readonly number[] } | undefined {
    const when = rule.when;
    switch (when.kind) {
      case 'denial-burst': {
        if (!counts(when, event)) return undefined;
        const burst = this.#bursts.get(rule)?.add(agent, index, eventTime(event));
        return burst === undefined
          ? undefined
          : { detail: `${burst.length} denials within ${when.withinSeconds} s`, evidence: burst };
      }
      case 'rate-anomaly': {
        if (!counts(when, event)) return undefined;
        const spike = this.#rates.get(rule)?.add(agent, index, eventTime(event));
        return spike === undefined
          ? undefined
          : {
              detail: `${spike.calls} calls in ${when.windowSeconds} s against an average of ${spike.baseline.toFixed(1)}`,
              evidence: spike.evidence,
            };
      }
      default: {
        const detail = matchStateless(when, event);
        return detail === undefined ? undefined : { detail, evidence: [index] };
      }
    }
  }
}

const isStateful = (rule: RemediationRule): boolean =>
  rule.when.kind === 'denial-burst' || rule.when.kind === 'rate-anomaly';

/** Whether a stateful trigger counts `event`: a burst counts denials, a rate every decision. */
function counts(when: TriggerConfig, event: Event): boolean {
  if (event.type !== 'guard.decision') return false;
  return (
    when.kind === 'rate-anomaly' || (when.kind === 'denial-burst' && event.decision === 'deny')
  );
}

/** When the event was recorded (epoch ms), or undefined when it carries no readable time. */
function eventTime(event: Event): number | undefined {
  const time = typeof event.time === 'string' ? Date.parse(event.time) : Number.NaN;
  return Number.isFinite(time) ? time : undefined;
}

/** Triggers decided by one event alone; the detail when `event` fires `when`. */
function matchStateless(when: TriggerConfig, event: Event): string | undefined {
  switch (when.kind) {
    case 'honeytoken':
      return DECISION_TYPES.has(event.type) && event.honeytoken === true
        ? `honeytoken ${String(event.tool)} touched`
        : undefined;
    case 'drift':
      return event.type === 'identity.drift'
        ? `drift: ${typeof event.field === 'string' ? event.field : 'model or prompt'} differs from the approved profile`
        : undefined;
    case 'certificate-misuse':
      return event.type === 'identity.certificate.misuse'
        ? `certificate ${String(event.jti)} presented with a bad proof (${String(event.code)})`
        : undefined;
    case 'budget-exhausted':
      return event.type === 'llm.refused' && event.code === 'budget_exceeded'
        ? 'a model call was refused: budget exhausted'
        : undefined;
    case 'severe-deny':
      return severeDenial(when, event);
    default:
      return undefined;
  }
}

function severeDenial(
  when: Extract<TriggerConfig, { kind: 'severe-deny' }>,
  event: Event,
): string | undefined {
  if (event.type !== 'guard.decision' || event.decision !== 'deny') return undefined;
  const rank = SEVERITY_RANK[typeof event.severity === 'string' ? event.severity : ''] ?? 0;
  if (rank < (SEVERITY_RANK[when.minSeverity] ?? Infinity)) return undefined;
  const policies = Array.isArray(event.policyIds) ? event.policyIds.map(String) : [];
  if (when.policies !== undefined && !policies.some((id) => when.policies?.includes(id)))
    return undefined;
  return `${String(event.severity)} denial of ${String(event.tool)} by ${policies.join(', ') || 'policy'}`;
}
