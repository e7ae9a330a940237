// The gateway's JSON-RPC errors, made only here (CONVENTIONS 4): stable codes in the
// implementation-defined server range (JSON-RPC 2.0 §5.1), fixed messages that never carry a stack
// trace, an upstream's internals or a secret. docs/mcp-gateway.md lists them.
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { GuardDecision } from '../guard/index.js';
import type { WithheldReason } from './guarded-call.js';
import type { UpstreamFailure } from './upstream-client.js';

export const WIRE_CODES = {
  /** A hidden, unpinned or unknown tool, prompt or resource. */
  unknown: ProtocolErrorCode.InvalidParams,
  /** resources/read or prompts/get denied by the guard (tools/call answers `isError` instead). */
  denied: -32050,
  upstreamUnavailable: -32051,
  upstreamTimeout: -32052,
  upstreamInvalid: -32053,
  /** The upstream answered, but the gateway does not pass the result on. */
  withheld: -32054,
  internal: ProtocolErrorCode.InternalError,
} as const;

const MAX_ECHO_CHARS = 500;

export function unknownError(kind: 'tool' | 'prompt' | 'resource', name: string): ProtocolError {
  const label =
    kind === 'tool' ? 'Unknown tool' : kind === 'prompt' ? 'Unknown prompt' : 'Unknown resource';
  return new ProtocolError(WIRE_CODES.unknown, `${label}: ${printable(name)}`);
}

/** The agent-facing text of a denial: the guard's reasons (safe to show) and any pending request. */
export function denialText(
  decision: Pick<GuardDecision, 'decision' | 'reasons' | 'pendingRequest'>,
): string {
  const reasons = decision.reasons.length === 0 ? 'denied' : decision.reasons.join('; ');
  if (decision.decision !== 'approval_required') return `Denied: ${reasons}`;
  const pending =
    decision.pendingRequest === undefined ? '' : ` (pending request ${decision.pendingRequest})`;
  return `Approval required${pending}: ${reasons}`;
}

export function deniedError(
  decision: Pick<GuardDecision, 'decision' | 'reasons' | 'pendingRequest'>,
): ProtocolError {
  return new ProtocolError(WIRE_CODES.denied, denialText(decision), decisionData(decision));
}

export function decisionData(
  decision: Pick<GuardDecision, 'decision' | 'reasons' | 'pendingRequest'>,
): Record<string, unknown> {
  return {
    decision: decision.decision,
    reasons: [...decision.reasons],
    ...(decision.pendingRequest === undefined ? {} : { pendingRequest: decision.pendingRequest }),
  };
}

export const UNRECORDED_TEXT =
  'Denied: the decision could not be recorded, so the call was not executed';

export function upstreamError(
  upstream: string,
  failure: UpstreamFailure,
  error?: { readonly code: number; readonly message: string },
): ProtocolError {
  if (failure === 'error' && error !== undefined)
    return new ProtocolError(error.code, printable(error.message));
  if (failure === 'timeout')
    return new ProtocolError(
      WIRE_CODES.upstreamTimeout,
      `Upstream ${upstream} did not answer in time`,
    );
  if (failure === 'invalid')
    return new ProtocolError(
      WIRE_CODES.upstreamInvalid,
      `Upstream ${upstream} returned an invalid answer`,
    );
  return new ProtocolError(WIRE_CODES.upstreamUnavailable, `Upstream ${upstream} is unavailable`);
}

export function withheldError(why: WithheldReason): ProtocolError {
  const text =
    why === 'too-large'
      ? 'the result is larger than the gateway passes on'
      : why === 'uninspectable'
        ? 'the result could not be inspected'
        : 'the outcome could not be recorded';
  return new ProtocolError(WIRE_CODES.withheld, `Result withheld: ${text}`);
}

export function internalError(): ProtocolError {
  return new ProtocolError(WIRE_CODES.internal, 'Internal error');
}

/** Text echoed back (names, an upstream's error message) is bounded and free of control characters. */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, '?').slice(0, MAX_ECHO_CHARS);
}
