// What a request handler knows about the request it serves: the authenticated agent, its
// authentication (for the guard), and its taint. The HTTP edge attaches it to the SDK's pass-through
// `authInfo`, which the SDK never fills from the wire; handlers take it back with `contextOf` and
// fail closed when it is missing.
import type { AuthInfo, ServerContext } from '@modelcontextprotocol/server';
import type { VerifiedAgentRequest } from '@zt4ai/verify';
import type { SessionTaint } from '../detectors/labels.js';
import type { GuardPrincipal } from '../guard/index.js';

const KEY = 'zt4ai';

export class CallContext {
  constructor(
    readonly principal: GuardPrincipal,
    /** The request's authentication, for the guard (see edge-auth.ts). */
    readonly verified: VerifiedAgentRequest,
    readonly taint: SessionTaint,
    /** The 2025-era session, when the request belongs to one. */
    readonly sessionId: string | undefined,
  ) {}

  /** The `authInfo` to hand the SDK for this request. */
  authInfo(): AuthInfo {
    return { token: '', clientId: this.principal.id, scopes: [], extra: { [KEY]: this } };
  }
}

/** The context the edge attached to this request, or undefined. */
export function contextOf(ctx: ServerContext): CallContext | undefined {
  const value = ctx.http?.authInfo?.extra?.[KEY];
  return value instanceof CallContext ? value : undefined;
}
