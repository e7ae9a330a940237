// Opens an AuditLog on a test store with a fresh log key, master key and a frozen clock.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  AuditLog,
  type AuditLogOptions,
  loadLogSigner,
  type LogSigner,
} from '../../src/audit/index.js';
import type { Store } from '../../src/store/index.js';
import { tempDir } from './stores.js';

export const FROZEN_TIME = new Date('2026-11-26T12:00:00.000Z');

export function newSigner(origin = 'test.zt4ai.example/log'): LogSigner {
  return loadLogSigner({ kind: 'file', path: join(tempDir(), 'audit-log.key') }, origin);
}

export function openTestLog(
  store: Store,
  overrides: Partial<AuditLogOptions> = {},
): Promise<AuditLog> {
  return AuditLog.open(store, {
    signer: overrides.signer ?? newSigner(),
    masterKey: overrides.masterKey ?? randomBytes(32),
    maxEntryBytes: 1024 * 1024,
    batchMaxEntries: 512,
    batchMaxDelayMs: 1,
    checkpointHistoryIntervalMs: 0,
    now: () => FROZEN_TIME,
    ...overrides,
  });
}

export function event(n: number): { type: string; agent: string; n: number } {
  return { type: 'test', agent: `agent-${n % 3}`, n };
}
