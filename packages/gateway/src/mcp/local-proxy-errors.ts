// Recognising, in local mode, that the control plane refused the agent's credentials: a 401 from
// /mcp (its body `{"error":{"code"}}` names the identity code, docs/identity.md) or an @zt4ai/sdk
// error when no certificate could be obtained (the agent quarantined or retired, its profile
// changed, its key not the registered one). Read from structured data only, never from messages.
import { SdkHttpError } from '@modelcontextprotocol/client';
import { SdkError as AgentSdkError } from '@zt4ai/sdk';

export interface CredentialsRefused {
  /** The identity code (`agent-not-active`, `revoked`, …) or the SDK's (`profile-not-approved`, …). */
  readonly code: string;
}

const MAX_CAUSE_DEPTH = 5;
const CODE = /^[a-z][a-z0-9-]{0,63}$/;

/** The refusal `error` reports, or undefined when it is not one. */
export function credentialsRefused(error: unknown): CredentialsRefused | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    if (current instanceof AgentSdkError) return { code: current.code };
    if (current instanceof SdkHttpError && current.status === 401)
      return { code: codeOf(current.data['text']) ?? 'unauthorized' };
    current = current.cause;
  }
  return undefined;
}

/** `error.code` of a JSON body `{"error":{"code":"…"}}`, when it is a plain code. */
function codeOf(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' && CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
