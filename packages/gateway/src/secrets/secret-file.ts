// Reads a key from its configured source, or creates the file once with mode 0600. A key file that
// other users can read is refused, as ssh refuses a private key with loose permissions.
import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
  closeSync,
  fsyncSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { KeySource } from '../config/index.js';
import { ZtError } from '../errors.js';

const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * Returns the key text from `source`. For a file source that does not exist, `create()` makes the
 * text, which is written atomically with O_EXCL and mode 0600 (a racing process reads the winner's).
 */
export function readOrCreateSecret(source: KeySource, create: () => string): string {
  if (source.kind === 'inline') return source.value.reveal().trim();
  try {
    mkdirSync(dirname(source.path), { recursive: true, mode: 0o700 });
    const fd = openSync(source.path, 'wx', 0o600);
    try {
      writeSync(fd, `${create()}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ZtError('key-file-invalid', `cannot create key file ${source.path}`, {
        cause: error,
      });
    }
  }
  return readSecretFile(source.path);
}

function readSecretFile(path: string): string {
  let text: string;
  try {
    const stat = statSync(path);
    if ((stat.mode & 0o077) !== 0) {
      throw new ZtError(
        'key-file-invalid',
        `key file ${path} is accessible to other users; chmod 600 it`,
      );
    }
    if (stat.size > MAX_KEY_FILE_BYTES)
      throw new ZtError('key-file-invalid', `key file ${path} is too large`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ZtError) throw error;
    throw new ZtError('key-file-invalid', `cannot read key file ${path}`, { cause: error });
  }
  return text.trim();
}

/** A fresh 32-byte symmetric key as base64, the format of master key files. */
export function newSymmetricKeyText(): string {
  return randomBytes(32).toString('base64');
}

/** Decodes a base64 32-byte symmetric key; anything else is refused. */
export function parseSymmetricKey(text: string, what: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32 || key.toString('base64') !== text) {
    throw new ZtError('key-file-invalid', `${what} must be 32 bytes in base64`);
  }
  return key;
}
