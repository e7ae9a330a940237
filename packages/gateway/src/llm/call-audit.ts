// The audit events of model calls (DESIGN §5; docs/llm-gateway.md, "Audit"): what was sent
// (`llm.request`, before the call leaves), what came back (`llm.response`: usage, cost, proposed
// calls and what became of them), and calls refused before they reached the guard's allow
// (`llm.refused`). Prompts, completions, reasoning and tool calls are payloads: stored encrypted
// under the agent's key beside the log, the entry committing to their digests.
import type { DecisionRecorder } from '../guard/index.js';
import type { CallVerdict, LlmEndpoint, Transcript } from './protocol.js';
import type { TokenUsage } from './token-usage.js';

/** One call's identity in every event about it. */
export interface CallRef {
  readonly call: string;
  readonly agent: string;
  readonly team: string;
  readonly mission: string;
  readonly conversation: string;
  readonly endpoint: LlmEndpoint;
  readonly provider: string;
  readonly model: string;
  readonly stream: boolean;
}

/** How a call ended, as recorded. */
export type CallStatus =
  'completed' | 'upstream_error' | 'timeout' | 'cut' | 'client_closed' | 'failed';

export interface CallEnd {
  readonly status: CallStatus;
  readonly httpStatus: number;
  readonly decisionIndex: number;
  readonly requestIndex: number | undefined;
  readonly usage: TokenUsage;
  readonly usageSource: 'reported' | 'estimated';
  readonly costNano: number | undefined;
  readonly durationMs: number;
  readonly transcript: Transcript;
  /** The answer as received (non-streamed), or the events as received (streamed). */
  readonly raw: string | undefined;
}

/** The audit log as the gateway uses it: appends, and a commit now rather than at its next batch. */
export type CallRecorder = DecisionRecorder & { flush?(): Promise<void> };

export class CallAudit {
  readonly #audit: CallRecorder;

  constructor(audit: CallRecorder) {
    this.#audit = audit;
  }

  /**
   * Asks the log to commit what is queued now instead of at the end of its batching window: a call
   * that waits for its records would otherwise idle for that window. Entries queued later go into
   * the next batch as usual.
   */
  commitNow(): void {
    this.#audit.flush?.().catch(() => undefined);
  }

  /** The request as sent upstream; resolves once durable. */
  request(ref: CallRef, body: string, reservedNano: number | undefined): Promise<number> {
    return this.#audit.append(
      {
        type: 'llm.request',
        ...ref,
        ...(reservedNano === undefined ? {} : { reservedNano }),
      },
      { payloads: { request: body } },
    );
  }

  /** The answer: usage, cost, proposed calls and their fate, and the content as payloads. */
  response(ref: CallRef, end: CallEnd): Promise<number> {
    const { transcript } = end;
    const payloads: Record<string, string> = {};
    if (end.raw !== undefined && end.raw !== '') payloads.response = end.raw;
    if (transcript.text !== '') payloads.completion = transcript.text;
    if (transcript.reasoning !== '') payloads.reasoning = transcript.reasoning;
    if (transcript.calls.length > 0) payloads.toolCalls = JSON.stringify(callsRecord(transcript));
    return this.#audit.append(
      {
        type: 'llm.response',
        ...ref,
        status: end.status,
        httpStatus: end.httpStatus,
        decision: end.decisionIndex,
        ...(end.requestIndex === undefined ? {} : { request: end.requestIndex }),
        ...(transcript.responseId === undefined ? {} : { responseId: transcript.responseId }),
        finish: transcript.finish,
        usage: end.usage,
        usageSource: end.usageSource,
        ...(end.costNano === undefined ? {} : { costNano: end.costNano }),
        durationMs: end.durationMs,
        toolCalls: transcript.verdicts.map(verdictRecord),
      },
      Object.keys(payloads).length === 0 ? {} : { payloads },
    );
  }

  /** A call refused by the gateway itself (budget, rate limit, server-side context, …). */
  refused(
    ref: Partial<CallRef> & { agent: string },
    code: string,
    detail: string,
  ): Promise<number> {
    return this.#audit.append({ type: 'llm.refused', ...ref, code, detail });
  }
}

function verdictRecord(verdict: CallVerdict): Record<string, unknown> {
  return {
    id: verdict.call.id,
    tool: verdict.tool,
    decision: verdict.decision,
    action: verdict.action,
    ...(verdict.index === undefined ? {} : { index: verdict.index }),
  };
}

/** Every proposed call with its arguments and, where it was screened, its fate. */
function callsRecord(transcript: Transcript): unknown[] {
  const verdicts = new Map(transcript.verdicts.map((v) => [v.call.key, v]));
  return transcript.calls.map((call) => {
    const verdict = verdicts.get(call.key);
    return {
      id: call.id,
      name: call.name,
      arguments: call.arguments,
      ...(verdict === undefined
        ? { screened: false }
        : {
            tool: verdict.tool,
            decision: verdict.decision,
            action: verdict.action,
            reasons: verdict.reasons,
          }),
    };
  });
}
