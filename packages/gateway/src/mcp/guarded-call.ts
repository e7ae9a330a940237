// The steps of DESIGN §2 for one guarded MCP request (tools/call, resources/read, prompts/get):
//
//   decide (guard, with the request's credentials) → await the decision's audit entry → forward
//   upstream within its timeout → size, scan and label the result → remember it in the taint →
//   record the outcome → pass it on
//
// Contract: MUST NOT forward anything unless the guard allowed it AND its decision is durable in the
// audit log; MUST NOT pass a result on that could not be labelled, remembered and recorded. Every
// outcome is data for the caller to render in its protocol's terms; nothing here throws.
import type { ArgKind } from '../detectors/detector.js';
import type { DecisionRecorder, Guard, GuardAction, GuardDecision } from '../guard/index.js';
import type { CallContext } from './call-context.js';
import { resultLabels } from './result-labels.js';
import type { SharedResult, SharedTaint } from './shared-taint.js';
import type { UpstreamFailure, UpstreamOutcome } from './upstream-client.js';

export interface GuardedRequest<T> {
  readonly action: GuardAction;
  /** `upstream/name` (for resources `upstream/<uri>`). */
  readonly tool: string;
  readonly upstream: string;
  readonly args: unknown;
  readonly argKinds?: Readonly<Record<string, ArgKind>> | undefined;
  /** Configured `resultLabels` of the tool. */
  readonly labels?: readonly string[] | undefined;
  readonly context: CallContext;
  /** Runs only after an allow whose decision is durable. */
  readonly forward: () => Promise<UpstreamOutcome<T>>;
}

export type WithheldReason = 'too-large' | 'uninspectable' | 'unrecorded';

export type GuardedOutcome<T> =
  | { readonly kind: 'denied'; readonly decision: GuardDecision }
  /** The decision could not be made durable: nothing was executed. */
  | { readonly kind: 'unrecorded' }
  | {
      readonly kind: 'failed';
      readonly failure: UpstreamFailure;
      readonly error?: { readonly code: number; readonly message: string };
    }
  /** Executed, but the result is not passed on. */
  | { readonly kind: 'withheld'; readonly why: WithheldReason }
  | { readonly kind: 'done'; readonly value: T; readonly labels: readonly string[] };

export interface GuardedCallDeps {
  readonly guard: Pick<Guard, 'decide'>;
  readonly audit: DecisionRecorder;
  readonly maxResultBytes: number;
  /** Shares the agent's taint with the other gateways on the store. */
  readonly sharedTaint?: SharedTaint;
  readonly now?: () => number;
}

export async function guardedCall<T>(
  deps: GuardedCallDeps,
  request: GuardedRequest<T>,
): Promise<GuardedOutcome<T>> {
  const { principal, taint } = request.context;
  const shared = deps.sharedTaint;
  const decision = await deps.guard.decide({
    agent: principal,
    authenticated: request.context.verified,
    action: request.action,
    tool: request.tool,
    args: request.args,
    ...(request.argKinds === undefined ? {} : { argKinds: request.argKinds }),
    session: taint,
    ...(shared === undefined ? {} : { syncSession: () => shared.pull(principal.id, taint) }),
  });
  const index = await decision.recorded.then(
    (i) => i,
    () => undefined,
  );
  if (index === undefined) return { kind: 'unrecorded' };
  if (decision.decision !== 'allow') return { kind: 'denied', decision };
  const now = deps.now ?? Date.now;
  const started = now();
  const outcome = await request.forward();
  const event = outcomeEvent(request, index, now() - started);
  if (!outcome.ok) {
    await record(deps, { ...event, type: 'mcp.call.failed', failure: outcome.failure });
    return outcome.error === undefined
      ? { kind: 'failed', failure: outcome.failure }
      : { kind: 'failed', failure: outcome.failure, error: outcome.error };
  }
  return pass(deps, request, event, outcome.value);
}

/** Writes the agent's taint for the other gateways; false when the store did not take it. */
async function shareTaint(
  deps: GuardedCallDeps,
  context: CallContext,
  result: SharedResult,
): Promise<boolean> {
  if (deps.sharedTaint === undefined) return true;
  return deps.sharedTaint.publish(context.principal.id, context.taint.sessionLabels(), result).then(
    () => true,
    () => false,
  );
}

/** Labels the result, remembers it in the taint, records the outcome; withholds on any failure. */
async function pass<T>(
  deps: GuardedCallDeps,
  request: GuardedRequest<T>,
  event: OutcomeEvent,
  value: T,
): Promise<GuardedOutcome<T>> {
  const json = JSON.stringify(value) ?? 'null';
  const bytes = Buffer.byteLength(json);
  const withhold = async (failure: string, why: WithheldReason): Promise<GuardedOutcome<T>> => {
    await record(deps, { ...event, type: 'mcp.call.failed', failure, resultBytes: bytes });
    return { kind: 'withheld', why };
  };
  if (bytes > deps.maxResultBytes) return withhold('result-too-large', 'too-large');
  let shared: SharedResult;
  try {
    const labels = resultLabels(value, request.labels);
    shared = { labels, values: request.context.taint.record({ labels, content: value }) };
  } catch {
    return withhold('result-uninspectable', 'uninspectable');
  }
  if (!(await shareTaint(deps, request.context, shared)))
    return withhold('result-taint-unshared', 'unrecorded');
  const { labels } = shared;
  const completed = { ...event, type: 'mcp.call.completed', resultBytes: bytes, labels };
  if (!(await record(deps, completed, { result: json })))
    return { kind: 'withheld', why: 'unrecorded' };
  return { kind: 'done', value, labels };
}

type OutcomeEvent = { type: string } & Record<string, unknown>;

function outcomeEvent(
  request: GuardedRequest<unknown>,
  decisionIndex: number,
  durationMs: number,
): OutcomeEvent {
  return {
    type: '',
    agent: request.context.principal.id,
    action: request.action,
    tool: request.tool,
    upstream: request.upstream,
    decision: decisionIndex,
    durationMs,
    ...(request.context.sessionId === undefined ? {} : { session: request.context.sessionId }),
  };
}

/** Appends an outcome; the result itself goes beside the entry, encrypted (audit payloads). */
async function record(
  deps: GuardedCallDeps,
  event: OutcomeEvent,
  payloads?: Record<string, string>,
): Promise<boolean> {
  try {
    await deps.audit.append(event, payloads === undefined ? {} : { payloads });
    return true;
  } catch {
    return false;
  }
}
