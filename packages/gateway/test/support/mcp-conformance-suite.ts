// Running the official MCP conformance suite (`@modelcontextprotocol/conformance`, server
// scenarios) against a URL and reading its results: one `checks.json` per scenario in the output
// directory. A scenario passes when none of its checks is a FAILURE (the suite's own summary rule).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, type Scalar, type YAMLSeq } from 'yaml';

const SUITE = fileURLToPath(
  new URL(
    '../../../../node_modules/@modelcontextprotocol/conformance/dist/index.js',
    import.meta.url,
  ),
);
/** `server-<scenario>-<ISO time with - for :>` */
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

export type CheckStatus = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';

export interface CheckResult {
  readonly id: string;
  readonly status: CheckStatus;
  readonly errorMessage?: string;
}

/** Scenario name → its checks. */
export type SuiteResults = ReadonlyMap<string, readonly CheckResult[]>;

/** Runs every active server scenario against `url` with `node` (Node 22); results in `outputDir`. */
export async function runServerSuite(
  node: string,
  url: string,
  outputDir: string,
): Promise<SuiteResults> {
  await new Promise<void>((resolve, reject) => {
    // Exit status 1 only says that some check failed: the results are read from the files.
    execFile(
      node,
      [SUITE, 'server', '--url', url, '--output-dir', outputDir],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error) => (error !== null && typeof error.code !== 'number' ? reject(error) : resolve()),
    );
  });
  const results = new Map<string, CheckResult[]>();
  for (const entry of readdirSync(outputDir)) {
    const scenario = RESULT_DIR.exec(entry)?.[1];
    if (scenario === undefined) continue;
    const checks = JSON.parse(readFileSync(join(outputDir, entry, 'checks.json'), 'utf8'));
    results.set(scenario, checks as CheckResult[]);
  }
  return results;
}

export function scenarioPassed(checks: readonly CheckResult[]): boolean {
  return checks.length > 0 && checks.every((check) => check.status !== 'FAILURE');
}

/** One failing check per line, for assertion messages. */
export function failures(checks: readonly CheckResult[]): string {
  return checks
    .filter((check) => check.status === 'FAILURE')
    .map((check) => `${check.id}: ${check.errorMessage ?? ''}`)
    .join('\n');
}

/**
 * The expected-failures file: the suite's own baseline format (`server: [scenario, …]`, usable with
 * its `--expected-failures`), each entry preceded by a comment giving its reason. Returns scenario →
 * reason; an entry without a reason is an error.
 */
export function readExpectedFailures(file: string): Map<string, string> {
  const document = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true });
  if (document.errors.length > 0) throw document.errors[0];
  const entries = new Map<string, string>();
  const list = document.get('server') as YAMLSeq<Scalar<string>> | undefined;
  for (const [index, item] of (list?.items ?? []).entries()) {
    // The parser keeps the comment before the first entry on the list itself.
    const comment = item.commentBefore ?? (index === 0 ? list?.commentBefore : undefined);
    const reason = (comment ?? '').trim().replace(/\s*\n\s*/g, ' ');
    if (reason === '') throw new Error(`${file}: ${String(item.value)} has no reason`);
    entries.set(String(item.value), reason);
  }
  return entries;
}
