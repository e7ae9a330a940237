// `zt4ai audit …`: append, read, prove, verify and export the audit log.
import { link, open, unlink } from 'node:fs/promises';
import { Command } from 'commander';
import { type AuditLog, consistencyProofJson, inclusionProofJson } from '../audit/index.js';
import { ZtError } from '../errors.js';
import { cliActor, commandContext, withControlPlane } from './context.js';
import { nonNegativeInteger } from './options.js';
import type { Output } from './output.js';
import { type Line, readBoundedLines } from './read-lines.js';

/** Appends awaited at once before the oldest index is printed; bounds memory on a large burst. */
const APPEND_WINDOW = 4096;
const DEFAULT_TAIL = 10;

export function auditCommand(): Command {
  const audit = new Command('audit').description('the tamper-evident audit log');
  audit
    .command('append')
    .description('append JSON lines from stdin; prints {"index": N} per entry once it is durable')
    .action(async (_options, command: Command) => {
      const { config, output } = commandContext(command);
      await withControlPlane(config, (plane) =>
        appendLines(plane.audit, output, config.audit.maxEntryBytes),
      );
    });
  audit
    .command('tail')
    .description('print the last entries, each exactly as hashed into its leaf')
    .option('-n, --lines <count>', 'number of entries', nonNegativeInteger('--lines'), DEFAULT_TAIL)
    .action(async (options: { lines: number }, command: Command) => {
      const { config, output } = commandContext(command);
      await withControlPlane(config, async (plane) => {
        for (const { entry } of await plane.audit.tail(options.lines)) output.line(entry);
      });
    });
  audit
    .command('checkpoint')
    .description('print the latest signed checkpoint (C2SP tlog-checkpoint, signed note)')
    .action(async (_options, command: Command) => {
      const { config, output } = commandContext(command);
      const checkpoint = await withControlPlane(config, (plane) => plane.audit.checkpoint());
      output.result({ checkpoint }, checkpoint.trimEnd());
    });
  audit
    .command('vkey')
    .description("print the log's verifier key (C2SP signed-note form)")
    .action(async (_options, command: Command) => {
      const { config, output } = commandContext(command);
      const vkey = await withControlPlane(config, async (plane) => plane.audit.vkey);
      output.result({ vkey }, vkey);
    });
  audit
    .command('proof')
    .description('print an inclusion proof')
    .requiredOption('--index <n>', 'leaf index', nonNegativeInteger('--index'))
    .option('--size <m>', 'tree size (default: the current size)', nonNegativeInteger('--size'))
    .action(async (options: { index: number; size?: number }, command: Command) => {
      const { config, output } = commandContext(command);
      const proof = await withControlPlane(config, (plane) =>
        plane.audit.inclusionProof(options.index, options.size),
      );
      output.result(inclusionProofJson(proof));
    });
  audit
    .command('consistency')
    .description('print a consistency proof between two tree sizes')
    .requiredOption('--from <n>', 'older tree size', nonNegativeInteger('--from'))
    .option('--to <m>', 'newer tree size (default: the current size)', nonNegativeInteger('--to'))
    .action(async (options: { from: number; to?: number }, command: Command) => {
      const { config, output } = commandContext(command);
      const proof = await withControlPlane(config, (plane) =>
        plane.audit.consistencyProof(options.from, options.to),
      );
      output.result(consistencyProofJson(proof));
    });
  audit
    .command('verify')
    .description(
      'recompute every entry, node and checkpoint; exits non-zero naming the first bad index',
    )
    .action(async (_options, command: Command) => {
      const { config, output } = commandContext(command);
      const report = await withControlPlane(config, (plane) => plane.audit.verify());
      if (report.ok) {
        output.result(
          report,
          `ok: ${report.size} entries, ${report.checkpoints} checkpoints in history verified`,
        );
        return;
      }
      output.result(report, `FAILED at index ${report.firstBadIndex}: ${report.reason}`);
      throw new ZtError(
        'log-inconsistent',
        `first bad index ${report.firstBadIndex}: ${report.reason}`,
        {
          detail: { index: report.firstBadIndex },
        },
      );
    });
  audit
    .command('export')
    .description('write a self-contained bundle checkable with @zt4ai/verify')
    .requiredOption('--out <file>', 'bundle file to write')
    .option('--from <n>', 'first index', nonNegativeInteger('--from'))
    .option('--to <m>', 'end index (exclusive)', nonNegativeInteger('--to'))
    .action(async (options: { out: string; from?: number; to?: number }, command: Command) => {
      const { config, output } = commandContext(command);
      await withControlPlane(config, (plane) => writeBundle(plane.audit, options));
      output.result({ out: options.out }, `bundle written to ${options.out}`);
    });
  audit
    .command('payload')
    .description('print a stored payload by the digest its entry commits to')
    .requiredOption('--digest <digest>', 'payload digest (sha256:…)')
    .action(async (options: { digest: string }, command: Command) => {
      const { config, output } = commandContext(command);
      const payload = await withControlPlane(config, (plane) =>
        plane.audit.readPayload(options.digest, cliActor(command)),
      );
      if (output.json)
        output.result({ digest: options.digest, payload: Buffer.from(payload).toString('base64') });
      else process.stdout.write(payload);
    });
  audit
    .command('shred')
    .description(
      "delete an agent's payload key: its payloads become unreadable, the log still verifies",
    )
    .requiredOption('--agent <id>', 'agent id')
    .action(async (options: { agent: string }, command: Command) => {
      const { config, output } = commandContext(command);
      const shredded = await withControlPlane(config, (plane) =>
        plane.audit.shred(options.agent, cliActor(command)),
      );
      output.result(
        { agent: options.agent, shredded },
        shredded ? 'shredded' : 'no key for that agent',
      );
    });
  return audit;
}

/**
 * Reads JSON lines and appends them, printing each index in input order once durable. Stops at the
 * first bad line: every line before it is appended and printed, nothing after it is appended.
 */
async function appendLines(audit: AuditLog, output: Output, maxEntryBytes: number): Promise<void> {
  const inFlight: Array<Promise<number>> = [];
  const printOldest = async (): Promise<void> =>
    output.result({ index: await (inFlight.shift() as Promise<number>) });
  let failure: ZtError | undefined;
  for await (const line of readBoundedLines(process.stdin, maxEntryBytes)) {
    const event = parseLine(line, audit);
    if (event instanceof ZtError) {
      failure = event;
      break;
    }
    if (event !== BLANK) inFlight.push(audit.append(event));
    if (inFlight.length >= APPEND_WINDOW) await printOldest();
  }
  while (inFlight.length > 0) await printOldest();
  if (failure !== undefined) throw failure;
}

const BLANK = Symbol('blank line');

/** The checked event on a line, BLANK for an empty line, or the error that names the line. */
function parseLine(line: Line, audit: AuditLog): unknown {
  const at = { detail: { line: line.number } };
  if (line.tooLong) {
    return new ZtError(
      'entry-too-large',
      `line ${line.number}: entry is larger than the limit`,
      at,
    );
  }
  if (line.text.trim() === '') return BLANK;
  let event: unknown;
  try {
    event = JSON.parse(line.text);
    audit.check(event);
  } catch (error) {
    if (error instanceof ZtError) {
      return new ZtError(error.code, `line ${line.number}: ${error.message}`, at);
    }
    return new ZtError('invalid-json', `line ${line.number}: not valid JSON`, at);
  }
  return event;
}

/**
 * Writes the bundle to a temporary file beside `out` and links it into place only when complete,
 * so a failed export leaves nothing behind and an existing file is never overwritten.
 */
async function writeBundle(
  audit: AuditLog,
  options: { out: string; from?: number; to?: number },
): Promise<void> {
  await audit.checkExportRange(options.from, options.to);
  const partial = `${options.out}.partial-${process.pid}`;
  const file = await open(partial, 'wx', 0o644).catch((cause: unknown) => {
    throw new ZtError('invalid-argument', `cannot write beside ${options.out}`, { cause });
  });
  try {
    for await (const chunk of audit.exportBundle(options.from, options.to)) await file.write(chunk);
    await file.sync();
    await file.close();
    await link(partial, options.out).catch((cause: unknown) => {
      throw new ZtError(
        'invalid-argument',
        `cannot create ${options.out} (it must not exist yet)`,
        {
          cause,
        },
      );
    });
  } finally {
    await file.close().catch(() => undefined);
    await unlink(partial).catch(() => undefined);
  }
}
