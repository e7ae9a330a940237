// How commands print: one JSON object (or JSON lines) on stdout with --json, text otherwise.
// Errors always go to stderr with a stable code.
import type { ZtError } from '../errors.js';

export class Output {
  readonly json: boolean;

  constructor(json: boolean) {
    this.json = json;
  }

  /** Prints a result: `value` as one JSON line with --json, else `text` (or the JSON when absent). */
  result(value: unknown, text?: string): void {
    process.stdout.write(`${this.json || text === undefined ? JSON.stringify(value) : text}\n`);
  }

  /** Writes a line of text that is already the wanted output in both modes (e.g. an entry). */
  line(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  error(error: ZtError): void {
    const detail = error.detail === undefined ? {} : { detail: error.detail };
    process.stderr.write(
      this.json
        ? `${JSON.stringify({ error: { code: error.code, message: error.message, ...detail } })}\n`
        : `zt4ai: error [${error.code}]: ${error.message}\n`,
    );
  }
}

/** Exit status for a failed command: 2 for usage errors, 1 for everything else. */
export function exitCodeFor(error: ZtError): number {
  return error.code === 'invalid-argument' ? 2 : 1;
}
