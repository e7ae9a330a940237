// The `mcp` section of zt4ai.yaml (docs/mcp-gateway.md): the upstream MCP servers the gateway
// forwards to and the limits of its /mcp endpoint. Raw schema and resolution in one place, so the
// rest of config/ only mentions the section. Upstream credentials (stdio `env`, HTTP `headers`) are
// resolved to `Secret`s; a value may name an environment variable instead of holding the secret.
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import * as defaults from './defaults.js';
import { Secret } from './secret.js';

const positiveInt = z.number().int().positive();
/** The server part of `server/tool` names (never contains `/`). */
const UPSTREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** RFC 9110 §5.1 field-name (token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** Headers the gateway sets itself or that would carry the agent's identity upstream. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'dpop',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
]);

/** A secret value: inline, or `{env: NAME}` to read it from the gateway's environment at start. */
const secretValue = z.union([
  z.string().max(16 * 1024),
  z.strictObject({ env: z.string().regex(ENV_NAME, 'must be an environment variable name') }),
]);

const rawUpstream = z
  .strictObject({
    name: z.string().regex(UPSTREAM_NAME, 'must be letters, digits, "_", "." or "-" (no "/")'),
    transport: z.enum(['stdio', 'http', 'sse']),
    command: z.string().min(1).optional(),
    args: z.array(z.string().max(4096)).max(256).optional(),
    env: z.record(z.string().regex(ENV_NAME), secretValue).optional(),
    cwd: z.string().min(1).optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
    headers: z.record(z.string().regex(HEADER_NAME), secretValue).optional(),
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
  })
  .superRefine((upstream, context) => {
    const stdio = upstream.transport === 'stdio';
    const need = (key: 'command' | 'url'): void => {
      if (upstream[key] === undefined)
        context.addIssue({
          code: 'custom',
          path: [key],
          message: `is required for ${upstream.transport}`,
        });
    };
    const forbid = (key: 'command' | 'args' | 'env' | 'cwd' | 'url' | 'headers'): void => {
      if (upstream[key] !== undefined)
        context.addIssue({
          code: 'custom',
          path: [key],
          message: `is not used by ${upstream.transport}`,
        });
    };
    if (stdio) {
      need('command');
      forbid('url');
      forbid('headers');
    } else {
      need('url');
      for (const key of ['command', 'args', 'env', 'cwd'] as const) forbid(key);
    }
    for (const name of Object.keys(upstream.headers ?? {})) {
      if (RESERVED_HEADERS.has(name.toLowerCase()))
        context.addIssue({
          code: 'custom',
          path: ['headers', name],
          message: 'is set by the gateway',
        });
    }
  });

/** Raw schema of the `mcp` section (unknown keys are errors, like everywhere in zt4ai.yaml). */
export const rawMcpSchema = z
  .strictObject({
    /** `Host` header values accepted on /mcp (DNS rebinding); default: the public URL's host and localhost. */
    allowedHosts: z.array(z.string().min(1).max(255)).max(100).optional(),
    /** `Origin` host names accepted on /mcp; default none: a request with an Origin is refused. */
    allowedOrigins: z.array(z.string().min(1).max(255)).max(100).optional(),
    maxMessageBytes: positiveInt.max(64 * 1024 * 1024).optional(),
    /** At most what the detectors scan in one pass (1 MiB): a result they cannot scan is withheld. */
    maxResultBytes: positiveInt.max(1024 * 1024).optional(),
    callTimeoutMs: z.number().int().min(100).max(600_000).optional(),
    sessionIdleTimeoutMs: z.number().int().min(1000).optional(),
    maxSessionsPerAgent: positiveInt.max(10_000).optional(),
    maxSessions: positiveInt.max(1_000_000).optional(),
    taintIdleTimeoutMs: z.number().int().min(1000).optional(),
    /**
     * Trust on first use: a new tool without findings is approved on first sight (development).
     * Default false: every new tool waits for an operator (`zt4ai tool approve`).
     */
    autoApproveTools: z.boolean().optional(),
    upstreams: z.array(rawUpstream).max(100).optional(),
  })
  .superRefine((section, context) => {
    const seen = new Set<string>();
    for (const [index, upstream] of (section.upstreams ?? []).entries()) {
      if (seen.has(upstream.name))
        context.addIssue({
          code: 'custom',
          path: ['upstreams', index, 'name'],
          message: 'is not unique',
        });
      seen.add(upstream.name);
    }
  });

export type RawMcpConfig = z.infer<typeof rawMcpSchema>;

export type McpUpstreamConfig =
  | {
      readonly name: string;
      readonly transport: 'stdio';
      readonly command: string;
      readonly args: readonly string[];
      /** Exactly what the child gets besides PATH and HOME: nothing is inherited. */
      readonly env: Readonly<Record<string, Secret>>;
      readonly cwd: string | undefined;
      readonly timeoutMs: number;
    }
  | {
      readonly name: string;
      readonly transport: 'http' | 'sse';
      readonly url: string;
      /** Sent on every upstream request (credentials of the gateway, never of the agent). */
      readonly headers: Readonly<Record<string, Secret>>;
      readonly timeoutMs: number;
    };

export interface McpConfig {
  readonly upstreams: readonly McpUpstreamConfig[];
  readonly allowedHosts: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly maxMessageBytes: number;
  readonly maxResultBytes: number;
  readonly sessionIdleTimeoutMs: number;
  readonly maxSessionsPerAgent: number;
  readonly maxSessions: number;
  readonly taintIdleTimeoutMs: number;
  /** New unflagged tools are approved on first sight (tool pinning's trust on first use). */
  readonly autoApproveTools: boolean;
  /** PATH and HOME of the gateway, the only variables a stdio upstream inherits. */
  readonly inheritedEnv: Readonly<{ PATH: string; HOME?: string }>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Resolves the raw section against the environment; `issuer` gives the default allowed host. */
export function resolveMcpConfig(
  raw: RawMcpConfig | undefined,
  env: Env,
  cwd: string,
  issuer: string,
): McpConfig {
  const callTimeoutMs = raw?.callTimeoutMs ?? defaults.DEFAULT_MCP_CALL_TIMEOUT_MS;
  const home = env.HOME;
  return {
    upstreams: (raw?.upstreams ?? []).map((upstream, index) =>
      resolveUpstream(upstream, index, env, cwd, callTimeoutMs),
    ),
    allowedHosts: raw?.allowedHosts ?? [new URL(issuer).hostname, ...defaults.LOCAL_HOST_NAMES],
    allowedOrigins: raw?.allowedOrigins ?? [],
    maxMessageBytes: raw?.maxMessageBytes ?? defaults.DEFAULT_MCP_MAX_MESSAGE_BYTES,
    maxResultBytes: raw?.maxResultBytes ?? defaults.DEFAULT_MCP_MAX_RESULT_BYTES,
    sessionIdleTimeoutMs: raw?.sessionIdleTimeoutMs ?? defaults.DEFAULT_MCP_SESSION_IDLE_MS,
    maxSessionsPerAgent: raw?.maxSessionsPerAgent ?? defaults.DEFAULT_MCP_SESSIONS_PER_AGENT,
    maxSessions: raw?.maxSessions ?? defaults.DEFAULT_MCP_MAX_SESSIONS,
    taintIdleTimeoutMs: raw?.taintIdleTimeoutMs ?? defaults.DEFAULT_MCP_TAINT_IDLE_MS,
    autoApproveTools: raw?.autoApproveTools === true,
    inheritedEnv: {
      PATH: env.PATH ?? defaults.DEFAULT_STDIO_PATH,
      ...(home === undefined || home === '' ? {} : { HOME: home }),
    },
  };
}

function resolveUpstream(
  raw: NonNullable<RawMcpConfig['upstreams']>[number],
  index: number,
  env: Env,
  cwd: string,
  callTimeoutMs: number,
): McpUpstreamConfig {
  const at = `mcp.upstreams.${index}`;
  const timeoutMs = raw.timeoutMs ?? callTimeoutMs;
  if (raw.transport === 'stdio') {
    return {
      name: raw.name,
      transport: 'stdio',
      command: raw.command as string,
      args: raw.args ?? [],
      env: secrets(raw.env, env, `${at}.env`),
      cwd:
        raw.cwd === undefined ? undefined : isAbsolute(raw.cwd) ? raw.cwd : resolve(cwd, raw.cwd),
      timeoutMs,
    };
  }
  return {
    name: raw.name,
    transport: raw.transport,
    url: raw.url as string,
    headers: secrets(raw.headers, env, `${at}.headers`),
    timeoutMs,
  };
}

function secrets(
  values: Readonly<Record<string, string | { env: string }>> | undefined,
  env: Env,
  at: string,
): Record<string, Secret> {
  const resolved: Record<string, Secret> = {};
  for (const [name, value] of Object.entries(values ?? {})) {
    if (typeof value === 'string') {
      resolved[name] = new Secret(value);
      continue;
    }
    const fromEnv = env[value.env];
    if (fromEnv === undefined)
      throw new ZtError(
        'config-invalid',
        `${at}.${name}: environment variable ${value.env} is not set`,
        {
          detail: { key: `${at}.${name}`, file: 'environment' },
        },
      );
    resolved[name] = new Secret(fromEnv);
  }
  return resolved;
}
