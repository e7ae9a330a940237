// A guard wired the way the gateway wires it: baseline pack, real detectors, a real audit log.
import type { AuditLog } from '../../src/audit/index.js';
import { loadShellParser } from '../../src/detectors/shell.js';
import {
  Guard,
  type GrantCheck,
  type GuardOptions,
  type ToolConfig,
} from '../../src/guard/index.js';
import { baselinePolicies, zt4aiSchema } from '../../src/policy/baseline.js';
import { PolicySet } from '../../src/policy/policy-set.js';

export const TOOLS: readonly ToolConfig[] = [
  { name: 'db/query', argKinds: { sql: 'sql' }, sink: 'internal', sqlDialect: 'postgresql' },
  { name: 'web/fetch', argKinds: { url: 'url' } },
  { name: 'fs/read_file', argKinds: { path: 'path' }, sink: 'internal' },
  { name: 'shell/exec', argKinds: { command: 'command' }, privileged: true },
  { name: 'mail/send', sink: 'external' },
  { name: 'payments/transfer', privileged: true, sink: 'internal' },
  { name: 'admin/export_all_credentials', honeytoken: true },
];

/** Grants every call of the listed (agent, tool) pairs; nothing else. */
export function grantsFor(pairs: ReadonlyArray<readonly [string, string]>): GrantCheck {
  return {
    find: async (agent, _action, tool) =>
      pairs.some(([a, t]) => a === agent && t === tool)
        ? { id: 'grant', humanApproved: false }
        : undefined,
    consume: async () => true,
  };
}

export const ALL_GRANTED: GrantCheck = {
  find: async () => ({ id: 'grant', humanApproved: false }),
  consume: async () => true,
};

export async function testGuard(
  audit: AuditLog,
  overrides: Partial<GuardOptions> = {},
): Promise<Guard> {
  const policies = PolicySet.load(baselinePolicies(), zt4aiSchema());
  return new Guard({
    policies: () => policies,
    tools: new Map(TOOLS.map((t) => [t.name, t])),
    detection: {
      egress: {
        allowHosts: ['api.example.com', '*.allowed.example'],
        allowPrivate: ['10.20.0.0/16'],
        allowedSchemes: ['https'],
      },
      pathRoots: ['/srv/data'],
      shell: await loadShellParser(),
      knownTools: TOOLS.map((t) => t.name),
    },
    grants: ALL_GRANTED,
    audit,
    ...overrides,
  });
}
