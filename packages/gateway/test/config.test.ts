// Configuration: strict file keys, precedence of flags over environment over file, secrets hidden.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { ZtError } from '../src/errors.js';
import { cleanupStores, tempDir } from './support/stores.js';

afterAll(cleanupStores);

function configError(run: () => unknown): ZtError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ZtError);
    return error as ZtError;
  }
  throw new Error('expected a configuration error');
}

function withFile(text: string): { cwd: string; file: string } {
  const cwd = tempDir();
  const file = join(cwd, 'zt4ai.yaml');
  writeFileSync(file, text);
  return { cwd, file };
}

describe('loadConfig', () => {
  it('resolves named defaults with no file, environment or flags', () => {
    const cwd = tempDir();
    const config = loadConfig({ cwd, env: {} });
    expect(config.configFile).toBeUndefined();
    expect(config.dataDir).toBe(join(cwd, '.zt4ai'));
    expect(config.store).toEqual({ kind: 'sqlite', file: join(cwd, '.zt4ai', 'zt4ai.db') });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 7300 });
    expect(config.audit.maxEntryBytes).toBe(1024 * 1024);
    expect(config.masterKey).toEqual({ kind: 'file', path: join(cwd, '.zt4ai', 'master.key') });
  });

  it('reads ./zt4ai.yaml and lets the environment and then flags override it', () => {
    const { cwd, file } = withFile(
      'dataDir: from-file\nserver:\n  port: 7400\naudit:\n  maxEntryBytes: 4096\n',
    );
    const fromFile = loadConfig({ cwd, env: {} });
    expect(fromFile.configFile).toBe(file);
    expect(fromFile.dataDir).toBe(join(cwd, 'from-file'));
    expect(fromFile.server.port).toBe(7400);
    expect(fromFile.audit.maxEntryBytes).toBe(4096);
    const fromEnv = loadConfig({ cwd, env: { ZT4AI_DATA_DIR: 'from-env', ZT4AI_PORT: '7500' } });
    expect(fromEnv.dataDir).toBe(join(cwd, 'from-env'));
    expect(fromEnv.server.port).toBe(7500);
    const fromFlags = loadConfig({
      cwd,
      env: { ZT4AI_DATA_DIR: 'from-env' },
      flags: { dataDir: 'from-flag', port: 7600 },
    });
    expect(fromFlags.dataDir).toBe(join(cwd, 'from-flag'));
    expect(fromFlags.server.port).toBe(7600);
  });

  it('selects PostgreSQL when a database URL is given, and never prints it', () => {
    const url = 'postgres://zt:hunter2@db.internal:5432/zt4ai';
    const config = loadConfig({ cwd: tempDir(), env: { ZT4AI_DATABASE_URL: url } });
    expect(config.store.kind).toBe('postgres');
    expect(config.store.kind === 'postgres' && config.store.url.reveal()).toBe(url);
    expect(JSON.stringify(config)).not.toContain('hunter2');
    expect(inspect(config, { depth: 10 })).not.toContain('hunter2');
    const key = loadConfig({
      cwd: tempDir(),
      env: { ZT4AI_MASTER_KEY: 'c2VjcmV0LW1hc3Rlci1rZXk=' },
    });
    expect(JSON.stringify(key)).not.toContain('c2VjcmV0');
  });

  it('rejects an unknown key naming the key and the file', () => {
    const { cwd, file } = withFile('audit:\n  maxEntrySize: 10\n');
    const error = configError(() => loadConfig({ cwd, env: {} }));
    expect(error.code).toBe('config-unknown-key');
    expect(error.message).toContain('audit.maxEntrySize');
    expect(error.message).toContain(file);
  });

  it('hints at the new name of a renamed key', () => {
    const { cwd } = withFile('data_dir: x\n');
    const error = configError(() => loadConfig({ cwd, env: {} }));
    expect(error.code).toBe('config-unknown-key');
    expect(error.message).toContain('did you mean "dataDir"');
  });

  it('rejects values of the wrong type or range with the key named', () => {
    const { cwd, file } = withFile('server:\n  port: 70000\n');
    const error = configError(() => loadConfig({ cwd, env: {} }));
    expect(error.code).toBe('config-invalid');
    expect(error.message).toContain('server.port');
    expect(error.message).toContain(file);
    expect(
      configError(() => loadConfig({ cwd: tempDir(), env: { ZT4AI_PORT: 'eighty' } })).code,
    ).toBe('config-invalid');
  });

  it('rejects YAML that is malformed or has duplicate keys', () => {
    expect(configError(() => loadConfig({ cwd: withFile('dataDir: [\n').cwd, env: {} })).code).toBe(
      'config-invalid',
    );
    expect(
      configError(() => loadConfig({ cwd: withFile('dataDir: a\ndataDir: b\n').cwd, env: {} }))
        .code,
    ).toBe('config-invalid');
  });

  it('reports an explicit config file that cannot be read', () => {
    const error = configError(() =>
      loadConfig({ cwd: tempDir(), env: {}, flags: { config: 'missing.yaml' } }),
    );
    expect(error.code).toBe('config-file-unreadable');
  });
});
