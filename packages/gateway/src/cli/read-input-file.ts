// Reads an operator's input file (YAML or JSON, bounded, duplicate keys refused).
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ZtError } from '../errors.js';

const MAX_INPUT_FILE_BYTES = 1024 * 1024;

export function readTextFile(path: string): string {
  try {
    if (statSync(path).size > MAX_INPUT_FILE_BYTES) throw new Error('too large');
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ZtError('invalid-argument', `cannot read ${path} (a file of at most 1 MiB)`, {
      cause,
    });
  }
}

/** Parses a YAML (or JSON, which is YAML) file into plain data. */
export function readDataFile(path: string): unknown {
  const text = readTextFile(path);
  try {
    return parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 }) as unknown;
  } catch (cause) {
    throw new ZtError('invalid-argument', `${path} is not valid YAML or JSON`, { cause });
  }
}
