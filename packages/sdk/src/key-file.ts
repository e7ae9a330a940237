// Node only: the agent key kept in a file as a private JWK, created with mode 0600 on first use.
// The only module that touches node:fs; it is loaded on demand, so browser builds never reach it.
import { open, readFile, stat } from 'node:fs/promises';
import type { JWK } from 'jose';
import { SdkError } from './errors.js';
import { generatePrivateJwk } from './agent-key.js';

/** A key file is a few hundred bytes; anything much larger is not one. */
const MAX_KEY_FILE_BYTES = 16 * 1024;
/** Owner read and write only. */
const KEY_FILE_MODE = 0o600;

/**
 * Reads the private JWK at `path`, or generates one and writes it there. The file MUST be created
 * exclusively with mode 0600 (never overwriting an existing key, even one created concurrently by
 * another process), and an existing file readable or writable by group or others MUST be refused
 * (`key-file-insecure`), as ssh does, except on Windows, which has no such mode bits.
 */
export async function loadOrCreateKeyFile(path: string): Promise<unknown> {
  const existing = await readKeyFile(path);
  if (existing !== undefined) return existing;
  const jwk = await generatePrivateJwk();
  if (await writeNewKeyFile(path, jwk)) return jwk;
  // Another process created the file between our read and our write: use its key.
  const raced = await readKeyFile(path);
  if (raced === undefined) throw unreadable(path);
  return raced;
}

/** The parsed file, or undefined when there is no file. */
async function readKeyFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const info = await stat(path);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new SdkError(
        'key-file-insecure',
        `key file ${path} must be readable by its owner only (chmod 600)`,
      );
    }
    if (info.size > MAX_KEY_FILE_BYTES) throw new Error('too large');
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof SdkError) throw error;
    if (isCode(error, 'ENOENT')) return undefined;
    throw unreadable(path, error);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SdkError('key-invalid', `key file ${path} is not a JSON private key`);
  }
}

/** Creates the file exclusively; false when it already exists. */
async function writeNewKeyFile(path: string, jwk: JWK): Promise<boolean> {
  try {
    const file = await open(path, 'wx', KEY_FILE_MODE);
    try {
      await file.writeFile(`${JSON.stringify(jwk)}\n`, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    return true;
  } catch (error) {
    if (isCode(error, 'EEXIST')) return false;
    throw unreadable(path, error);
  }
}

function isCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}

function unreadable(path: string, cause?: unknown): SdkError {
  return new SdkError(
    'key-file-unreadable',
    `cannot read or create key file ${path}`,
    cause === undefined ? undefined : { cause },
  );
}
