// Offline evaluation for policy authors: the same guard as the gateway (same detectors, same
// policy set), fed from files instead of live calls, and recording nothing in the audit log.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/index.js';
import { SessionTaint } from '../detectors/labels.js';
import { ZtError } from '../errors.js';
import { type GrantCheck, Guard, type GuardDecision } from '../guard/index.js';
import { loadPolicies } from '../policy/load-policies.js';
import { guardInputs } from '../server.js';
import { withControlPlane } from './context.js';
import { readDataFile, readTextFile } from './read-input-file.js';

const inputSchema = z.strictObject({
  id: z.union([z.string(), z.number()]).optional(),
  agent: z.string().min(1),
  action: z.enum(['tools/call', 'resources/read', 'prompts/get', 'llm/complete', 'http/request']),
  tool: z.string().min(1).optional(),
  resource: z.string().min(1).optional(),
  args: z.json().optional(),
  argKinds: z.record(z.string(), z.enum(['sql', 'url', 'path', 'command'])).optional(),
  session: z
    .strictObject({
      labels: z.array(z.string()).optional(),
      results: z
        .array(z.strictObject({ labels: z.array(z.string()), content: z.json() }))
        .optional(),
    })
    .optional(),
});
export type EvalInput = z.infer<typeof inputSchema>;

export interface EvalLine {
  id: string | number | null;
  decision: string;
  reasons: readonly string[];
  policyIds: readonly string[];
}

const ALL: GrantCheck = {
  find: async () => ({ id: 'assumed', humanApproved: false }),
  consume: async () => true,
};
const NONE: GrantCheck = { find: async () => undefined, consume: async () => false };
const NOT_RECORDED = { append: async (): Promise<number> => -1 };

/** A guard over the baseline plus `bundle` (a directory or "baseline"), with the config's tools. */
export async function offlineGuard(
  config: Config,
  bundle: string,
  grants: GrantCheck,
): Promise<Guard> {
  const { set } = await loadPolicies({
    bundleDir: bundle === 'baseline' ? undefined : bundle,
    trustedKeys: [],
    allowUnsigned: true,
  });
  return new Guard({
    policies: () => set,
    ...(await guardInputs(config)),
    grants,
    audit: NOT_RECORDED,
  });
}

/** Decides one parsed input line. */
export async function decideInput(guard: Guard, input: EvalInput): Promise<GuardDecision> {
  const session = new SessionTaint();
  if (input.session?.labels !== undefined)
    session.record({ labels: input.session.labels, content: '' });
  for (const result of input.session?.results ?? []) session.record(result);
  const tool = input.tool ?? input.resource;
  if (tool === undefined)
    throw new ZtError('invalid-argument', 'an input needs "tool" or "resource"');
  return guard.decide({
    agent: { id: input.agent },
    action: input.action,
    tool,
    args: input.args ?? {},
    session,
    ...(input.argKinds === undefined ? {} : { argKinds: input.argKinds }),
  });
}

export function parseInput(value: unknown): EvalInput {
  const result = inputSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ZtError(
      'invalid-argument',
      `input: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
    );
  }
  return result.data;
}

/**
 * One output line per input line, in order. A malformed line is answered with a deny naming the
 * problem (fail closed) and counted; returns the number of malformed lines.
 */
export async function evaluateLines(
  config: Config,
  options: { bundle: string; input: string; assumeGranted?: boolean },
  emit: (line: EvalLine) => void,
): Promise<number> {
  if (options.assumeGranted === true) return evaluateWith(config, options, ALL, emit);
  // Without --assume-granted the grants in the store decide, read-only: offline replay never
  // takes a use of a real grant.
  return withControlPlane(config, (plane) => {
    const check = plane.grants.check();
    return evaluateWith(config, options, { find: check.find, consume: async () => true }, emit);
  });
}

async function evaluateWith(
  config: Config,
  options: { bundle: string; input: string },
  grants: GrantCheck,
  emit: (line: EvalLine) => void,
): Promise<number> {
  const guard = await offlineGuard(config, options.bundle, grants);
  let malformed = 0;
  for (const [n, text] of readTextFile(options.input).split('\n').entries()) {
    if (text.trim() === '') continue;
    let input: EvalInput;
    try {
      input = parseInput(JSON.parse(text));
    } catch (error) {
      malformed += 1;
      const message = error instanceof ZtError ? error.message : 'not valid JSON';
      emit({ id: null, decision: 'deny', reasons: [`line ${n + 1}: ${message}`], policyIds: [] });
      continue;
    }
    const d = await decideInput(guard, input);
    emit({
      id: input.id ?? null,
      decision: d.decision,
      reasons: d.reasons,
      policyIds: d.policyIds,
    });
  }
  return malformed;
}

/** Which policies decided, why, and the facts that were true. */
export async function explainInput(
  config: Config,
  bundle: string,
  value: unknown,
  assumeGranted: boolean,
) {
  const guard = await offlineGuard(config, bundle, assumeGranted ? ALL : NONE);
  const d = await decideInput(guard, parseInput(value));
  return {
    decision: d.decision,
    reasons: d.reasons,
    policyIds: d.policyIds,
    severity: d.severity,
    facts: trueFacts(d.facts),
  };
}

/** Facts that are true (or non-empty), as dotted paths: what a policy condition could have matched. */
function trueFacts(facts: object, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(facts)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (
      value === true ||
      (typeof value === 'string' && value !== '' && key !== 'sink') ||
      (Array.isArray(value) && value.length > 0)
    )
      out[path] = value;
    else if (typeof value === 'object' && value !== null && !Array.isArray(value))
      Object.assign(out, trueFacts(value, path));
  }
  return out;
}

const testFileSchema = z.strictObject({
  cases: z.array(
    z.strictObject({
      name: z.string().min(1),
      input: z.unknown(),
      assumeGranted: z.boolean().default(true),
      expect: z.enum(['allow', 'deny', 'approval_required']),
      policyIds: z.array(z.string()).optional(),
    }),
  ),
});

export interface PolicyTestResult {
  file: string;
  name: string;
  passed: boolean;
  expected: string;
  actual: string;
}

/** Runs `<bundle>/tests/*.yaml`; each case passes when decision (and policy ids, if given) match. */
export async function runPolicyTests(config: Config, bundle: string): Promise<PolicyTestResult[]> {
  const dir = join(bundle, 'tests');
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch (cause) {
    throw new ZtError('invalid-argument', `${dir} does not exist`, { cause });
  }
  if (files.length === 0) throw new ZtError('invalid-argument', `${dir} has no *.yaml test files`);
  const guards = new Map<boolean, Guard>();
  const results: PolicyTestResult[] = [];
  for (const file of files) {
    const parsed = testFileSchema.safeParse(readDataFile(join(dir, file)));
    if (!parsed.success)
      throw new ZtError(
        'invalid-argument',
        `${file}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    for (const test of parsed.data.cases) {
      const guard =
        guards.get(test.assumeGranted) ??
        (await offlineGuard(config, bundle, test.assumeGranted ? ALL : NONE));
      guards.set(test.assumeGranted, guard);
      const d = await decideInput(guard, parseInput(test.input));
      const idsMatch =
        test.policyIds === undefined ||
        [...test.policyIds].sort().join() === [...d.policyIds].sort().join();
      const expected =
        test.expect + (test.policyIds === undefined ? '' : ` [${test.policyIds.join(', ')}]`);
      const actual =
        d.decision + (test.policyIds === undefined ? '' : ` [${d.policyIds.join(', ')}]`);
      results.push({
        file,
        name: test.name,
        passed: d.decision === test.expect && idsMatch,
        expected,
        actual,
      });
    }
  }
  return results;
}
