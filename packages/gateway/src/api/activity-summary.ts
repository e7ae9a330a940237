// What the governance center shows of one audit event: its kind, agent, decision, tool and labels,
// never payloads or arguments (those stay in the log, behind the auditor role).
import type { RecordedEvent } from '../audit/index.js';

export interface ActivityItem {
  readonly index: number;
  readonly time: string;
  readonly type: string;
  readonly agent?: string;
  readonly actor?: string;
  /** allow, deny, needs-approval… for decisions; the new status for status changes. */
  readonly decision?: string;
  readonly action?: string;
  readonly tool?: string;
  readonly reasons?: readonly string[];
  readonly severity?: string;
  readonly labels?: readonly string[];
  readonly grant?: string;
  readonly costNano?: number;
}

const TEXT_FIELDS = ['agent', 'actor', 'action', 'tool', 'severity', 'grant'] as const;

/** The summary of a recorded event. */
export function summarize(recorded: RecordedEvent): ActivityItem {
  const event = recorded.event as Record<string, unknown>;
  const item: Record<string, unknown> = {
    index: recorded.index,
    time: typeof event.time === 'string' ? event.time : '',
    type: event.type,
  };
  for (const field of TEXT_FIELDS) if (typeof event[field] === 'string') item[field] = event[field];
  const decision = decisionOf(event);
  if (decision !== undefined) item.decision = decision;
  const reasons = stringList(event.reasons) ?? codeReason(event);
  if (reasons !== undefined) item.reasons = reasons.slice(0, 5);
  const labels = stringList(event.labels);
  if (labels !== undefined) item.labels = labels.slice(0, 20);
  if (typeof event.costNano === 'number') item.costNano = event.costNano;
  return item as unknown as ActivityItem;
}

/** True for an outcome the overview counts as a denial. */
export function isDenial(item: ActivityItem): boolean {
  return (
    item.decision === 'deny' || item.type === 'llm.refused' || item.type === 'mcp.call.rejected'
  );
}

function decisionOf(event: Record<string, unknown>): string | undefined {
  if (typeof event.decision === 'string') return event.decision;
  if (event.type === 'identity.authentication.refused') return 'deny';
  if (event.type === 'identity.agent.status' && typeof event.to === 'string') return event.to;
  return undefined;
}

/** An event's stable code as its reason (a refused authentication: how many times). */
function codeReason(event: Record<string, unknown>): string[] | undefined {
  if (typeof event.code !== 'string') return undefined;
  const times = typeof event.refused === 'number' && event.refused > 1 ? event.refused : undefined;
  return [times === undefined ? event.code : `${event.code} (${times} times)`];
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}
