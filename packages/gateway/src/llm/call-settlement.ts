// After the answer (DESIGN §2 step 7, "record outcome and cost"): the call's usage — as the
// provider reported it, or estimated from what arrived when it did not (a cut stream, a timeout) —
// its cost, the settlement of its budget reservation with the call's row in the store, the
// correction of the agent's token allowance, and the `llm.response` audit event.
import type { CallEnd } from './call-audit.js';
import type { Charged, RelayOutcome } from './call-relay.js';
import type { AdmittedCall, CallComponents } from './llm-call.js';
import { maxUsage, NO_USAGE, type TokenUsage } from './token-usage.js';

export async function settle(
  c: CallComponents,
  call: AdmittedCall,
  relayed: RelayOutcome,
): Promise<void> {
  const { usage, source } = meteredUsage(call, relayed);
  const cost = c.prices.cost(call.provider, call.inspected.model, usage);
  // Under a budget an unknown price cannot happen (admission refuses it); if it did, the whole
  // reservation counts as spent.
  const charged =
    cost ?? (call.reservation.lines.length > 0 ? call.reservation.amountNano : undefined);
  const finishedAt = c.now().toISOString();
  c.limiter.settle(call.principal.id, call.rateTokens, usage.input + usage.output);
  const stored = c.settlements.add({
    reservation: call.reservation,
    costNano: charged ?? 0,
    call: {
      id: call.ref.call,
      agent: call.ref.agent,
      team: call.ref.team,
      mission: call.ref.mission,
      conversation: call.ref.conversation,
      provider: call.ref.provider,
      model: call.ref.model,
      endpoint: call.ref.endpoint,
      stream: call.ref.stream ? 1 : 0,
      status: relayed.status,
      started_at: call.startedAt,
      finished_at: finishedAt,
      input_tokens: usage.input,
      cached_input_tokens: usage.cachedInput,
      cache_write_tokens: usage.cacheWrite,
      output_tokens: usage.output,
      reasoning_tokens: usage.reasoning,
      usage_source: source,
      cost_nano: charged ?? null,
      decision_index: call.decisionIndex,
    },
  });
  const end: CallEnd = {
    status: relayed.status,
    httpStatus: relayed.httpStatus,
    decisionIndex: call.decisionIndex,
    requestIndex: call.requestIndex,
    usage,
    usageSource: source,
    costNano: charged,
    durationMs: Math.round(performance.now() - call.startedMs),
    transcript: relayed.transcript,
    raw: relayed.raw,
  };
  await Promise.all([stored, c.audit.response(call.ref, end)]);
}

/**
 * The usage to charge. A complete answer's reported usage is taken as it is. Otherwise what was
 * reported is completed with upper bounds of what arrived: the input bound of the request, and one
 * token per byte of output received (byte-level tokenizers never make more).
 */
export function meteredUsage(
  call: AdmittedCall,
  relayed: RelayOutcome,
): { usage: TokenUsage; source: 'reported' | 'estimated' } {
  const reported = relayed.transcript.usage;
  if (relayed.status === 'completed' && reported !== undefined)
    return { usage: reported, source: 'reported' };
  const estimate = estimated(relayed.charged, call.inputBound, relayed.transcript.outputBytes);
  const usage = maxUsage(reported, estimate) ?? NO_USAGE;
  // A provider that answered its input count exactly keeps it: the bound is only for the unknown.
  const input = reported !== undefined && reported.input > 0 ? reported.input : usage.input;
  return { usage: { ...usage, input }, source: 'estimated' };
}

function estimated(charged: Charged, inputBound: number, outputBytes: number): TokenUsage {
  if (charged === 'nothing') return NO_USAGE;
  return { ...NO_USAGE, input: inputBound, output: charged === 'what-arrived' ? outputBytes : 0 };
}
