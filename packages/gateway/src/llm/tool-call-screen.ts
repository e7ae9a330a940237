// Proposed-action screening (DESIGN §2 at the LLM gateway): every tool call a model proposes goes
// through the guard as a `tools/call` of the agent, named in the agent's tool namespace
// (tool-names.ts), before the agent ever sees it. An allowed call passes once its decision is
// durable; any other is stripped and replaced by a refusal, or — when the operator chose `flag` —
// passed on marked. A call whose decision could not be recorded is always stripped (fail closed).
//
// The request's credentials were verified when it arrived; these decisions are about what the
// answer proposes, so they carry no credentials of their own.
import type { Guard, GuardDecision, GuardPrincipal } from '../guard/index.js';
import type { CallAction, CallVerdict, ProposedCall, ScreenCalls } from './protocol.js';
import { toolName } from './tool-names.js';

export interface ScreenOptions {
  readonly onDeny: 'strip' | 'flag';
  readonly namespace: string;
}

const UNRECORDED = 'the decision could not be recorded';

/**
 * A screening function for the calls of one answer to `principal`. `commitNow` asks the audit log
 * to commit the decisions at once: the answer waits for them.
 */
export function callScreen(
  guard: Pick<Guard, 'decide'>,
  principal: GuardPrincipal,
  options: ScreenOptions,
  commitNow: () => void = () => undefined,
): ScreenCalls {
  return async (calls) => {
    const decided = await Promise.all(
      calls.map(async (call) => {
        const tool = toolName(call.name, options.namespace);
        const decision = await guard.decide({
          agent: principal,
          action: 'tools/call',
          tool,
          args: parseArguments(call.arguments),
          // Screening takes no grant use: the call, if the agent makes it, is decided again.
          screening: true,
        });
        return { call, tool, decision };
      }),
    );
    setImmediate(commitNow);
    return Promise.all(decided.map((d) => verdict(options, d.call, d.tool, d.decision)));
  };
}

async function verdict(
  options: ScreenOptions,
  call: ProposedCall,
  tool: string,
  decision: GuardDecision,
): Promise<CallVerdict> {
  const index = await decision.recorded.then(
    (i) => i,
    () => undefined,
  );
  const recorded = index !== undefined;
  const action: CallAction =
    decision.decision === 'allow' && recorded ? 'pass' : recorded ? options.onDeny : 'strip';
  return {
    call,
    tool,
    action,
    decision: decision.decision,
    reasons: recorded ? decision.reasons : [UNRECORDED],
    pendingRequest: decision.pendingRequest,
    index,
  };
}

/** The arguments as JSON when they parse (the guard's detectors read values), else the text. */
function parseArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The sentence that replaces a stripped call in the answer. */
export function refusalText(verdict: CallVerdict): string {
  const reasons = verdict.reasons.length === 0 ? 'not allowed' : verdict.reasons.join('; ');
  const pending =
    verdict.pendingRequest === undefined
      ? ''
      : ` Approval was requested (${verdict.pendingRequest}); retry once it is approved.`;
  return `[zt4ai] The proposed call of tool "${verdict.tool}" was blocked: ${reasons}.${pending}`;
}

/** The refusals of the stripped calls among `verdicts`, one per line. */
export function refusals(verdicts: readonly CallVerdict[]): string {
  return verdicts
    .filter((v) => v.action === 'strip')
    .map(refusalText)
    .join('\n');
}
