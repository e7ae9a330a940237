// The identity file of `zt4ai mcp-proxy` (docs/mcp-gateway.md, "Local mode"): which registered
// agent the proxy acts as, where its private key is, and the security profile (model + prompt) it
// presents for its certificates — the options of @zt4ai/sdk's AgentIdentity, kept in a file. It names
// the agent; it does not vouch for it: the control plane still issues a certificate only for an
// active agent whose approved profile matches, and checks it (and a fresh proof) on every request.
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import {
  type ModelBinding,
  parseModelBinding,
  parseModelSpec,
  parsePromptConfig,
  type PromptConfig,
} from '../identity/index.js';

/** A parsed identity file: what AgentIdentity.create needs besides the issuer and the transport. */
export interface LocalIdentity {
  /** The agent's id or name, as registered. */
  readonly agent: string;
  /** Absolute path of the agent's private key file (a private JWK, mode 0600). */
  readonly keyFile: string;
  readonly model: ModelBinding;
  readonly prompt: PromptConfig;
  /** Requested certificate lifetime; default: the issuer's. */
  readonly ttlSeconds: number | undefined;
}

const identityFileSchema = z.strictObject({
  agent: z.string().min(1).max(200),
  key: z.string().min(1).max(4096),
  model: z.union([z.string(), z.record(z.string(), z.unknown())]),
  prompt: z.union([z.string(), z.record(z.string(), z.unknown())]),
  /** Optional: when present it MUST be the control plane's issuer URL (a file meant for another is refused). */
  issuer: z.string().min(1).optional(),
  ttlSeconds: z.number().int().positive().max(86_400).optional(),
});

/**
 * Validates the content of an identity file (YAML or JSON, already parsed) read from `file`. A
 * relative key path is relative to the identity file. Unknown keys are refused, as in zt4ai.yaml.
 */
export function parseIdentityFile(raw: unknown, file: string, issuer: string): LocalIdentity {
  const parsed = identityFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(top level)';
    throw new ZtError('invalid-argument', `${file}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const data = parsed.data;
  if (data.issuer !== undefined && trimSlashes(data.issuer) !== trimSlashes(issuer))
    throw new ZtError(
      'invalid-argument',
      `${file}: issuer ${data.issuer} is not this control plane's (${issuer})`,
    );
  return {
    agent: data.agent,
    keyFile: isAbsolute(data.key) ? data.key : resolve(file, '..', data.key),
    model:
      typeof data.model === 'string' ? parseModelSpec(data.model) : parseModelBinding(data.model),
    prompt: parsePromptConfig(
      typeof data.prompt === 'string' ? { template: data.prompt } : data.prompt,
    ),
    ttlSeconds: data.ttlSeconds,
  };
}

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}
