// The environment of a stdio upstream (docs/mcp-gateway.md, "Upstreams"): PATH and HOME of the
// gateway plus exactly what the upstream's configuration grants. Nothing else is inherited — no
// cloud credentials, database URLs or zt4ai keys from the gateway's own environment.
import { DEFAULT_INHERITED_ENV_VARS } from '@modelcontextprotocol/client/stdio';
import type { Secret } from '../config/index.js';

/**
 * The `env` to give the SDK's StdioClientTransport. That transport lays its own default set
 * (HOME, LOGNAME, PATH, SHELL, TERM, USER, from the gateway's own environment) under what it is given, so each of
 * those is set to `undefined` here unless granted: child_process.spawn leaves undefined entries out.
 */
export function stdioEnvironment(
  granted: Readonly<Record<string, Secret>>,
  inherited: Readonly<{ PATH: string; HOME?: string }>,
): Record<string, string> {
  const env: Record<string, string | undefined> = {};
  for (const name of DEFAULT_INHERITED_ENV_VARS) env[name] = undefined;
  Object.assign(env, inherited);
  for (const [name, value] of Object.entries(granted)) env[name] = value.reveal();
  return env as Record<string, string>;
}
