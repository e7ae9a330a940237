// The log key: generated once with mode 0600, reloaded identically, refused when malformed or exposed.
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseVerifierKey, verifyCheckpoint, formatCheckpoint, EMPTY_ROOT } from '@zt4ai/verify';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLogSigner } from '../src/audit/index.js';
import { Secret } from '../src/config/index.js';
import { ZtError } from '../src/errors.js';
import { cleanupStores, tempDir } from './support/stores.js';

afterAll(cleanupStores);

const ORIGIN = 'log.example.com/audit';

function keyError(run: () => unknown): ZtError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ZtError);
    return error as ZtError;
  }
  throw new Error('expected a key error');
}

describe('loadLogSigner', () => {
  it('creates the key file with mode 0600 and loads the same key again', () => {
    const path = join(tempDir(), 'keys', 'audit-log.key');
    const first = loadLogSigner({ kind: 'file', path }, ORIGIN);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(
      /^PRIVATE\+KEY\+log\.example\.com\/audit\+[0-9a-f]{8}\+/,
    );
    const again = loadLogSigner({ kind: 'file', path }, 'ignored/once-created');
    expect(again.vkey).toBe(first.vkey);
    expect(parseVerifierKey(first.vkey).name).toBe(ORIGIN);
  });

  it('signs checkpoints that verify with its verifier key', () => {
    const signer = loadLogSigner({ kind: 'file', path: join(tempDir(), 'k') }, ORIGIN);
    const note = signer.signNote(
      formatCheckpoint({ origin: ORIGIN, size: 0, rootHash: EMPTY_ROOT, extensions: [] }),
    );
    expect(verifyCheckpoint(note, signer.vkey).size).toBe(0);
  });

  it('takes a key given inline (from the environment)', () => {
    const path = join(tempDir(), 'k');
    const fileSigner = loadLogSigner({ kind: 'file', path }, ORIGIN);
    const inline = loadLogSigner(
      { kind: 'inline', value: new Secret(readFileSync(path, 'utf8')) },
      ORIGIN,
    );
    expect(inline.vkey).toBe(fileSigner.vkey);
  });

  it('refuses a key file that other users can read', () => {
    const path = join(tempDir(), 'k');
    loadLogSigner({ kind: 'file', path }, ORIGIN);
    chmodSync(path, 0o644);
    expect(keyError(() => loadLogSigner({ kind: 'file', path }, ORIGIN)).code).toBe(
      'key-file-invalid',
    );
  });

  it('refuses malformed keys and keys whose id does not match', () => {
    const path = join(tempDir(), 'k');
    loadLogSigner({ kind: 'file', path }, ORIGIN);
    const valid = readFileSync(path, 'utf8').trim();
    const wrongId = valid.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    for (const text of [
      '',
      'PRIVATE+KEY+x',
      wrongId,
      valid.slice(0, -4),
      valid.replace('PRIVATE', 'PUBLIC'),
    ]) {
      writeFileSync(path, text, { mode: 0o600 });
      expect(keyError(() => loadLogSigner({ kind: 'file', path }, ORIGIN)).code).toBe(
        'key-file-invalid',
      );
    }
  });
});
