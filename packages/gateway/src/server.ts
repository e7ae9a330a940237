// Composition root: the only module that picks concrete drivers and wires components together.
import type { Config } from './config/index.js';
import { AuditLog, loadLogSigner } from './audit/index.js';
import { IdentityService } from './identity/index.js';
import { newSymmetricKeyText, parseSymmetricKey, readOrCreateSecret } from './secrets/index.js';
import { openPostgresStore, openSqliteStore, type Store } from './store/index.js';

/** Everything a command or the HTTP server needs, opened from one configuration. */
export interface ControlPlane {
  readonly config: Config;
  readonly store: Store;
  readonly audit: AuditLog;
  readonly identity: IdentityService;
  /** Flushes the audit log and closes the store. Safe to call twice. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Clock for entries and checkpoints; tests freeze it. */
  readonly now?: () => Date;
}

export async function openControlPlane(
  config: Config,
  options: OpenOptions = {},
): Promise<ControlPlane> {
  const masterKey = parseSymmetricKey(
    readOrCreateSecret(config.masterKey, newSymmetricKeyText),
    'the master key',
  );
  const signer = loadLogSigner(config.audit.signingKey, config.audit.origin);
  const store = await openStore(config);
  let audit: AuditLog;
  try {
    audit = await AuditLog.open(store, {
      signer,
      masterKey,
      maxEntryBytes: config.audit.maxEntryBytes,
      batchMaxEntries: config.audit.batchMaxEntries,
      batchMaxDelayMs: config.audit.batchMaxDelayMs,
      checkpointHistoryIntervalMs: config.audit.checkpointHistoryIntervalMs,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const identity = new IdentityService({
    store,
    audit,
    masterKey,
    config: config.identity,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  try {
    await identity.start();
  } catch (error) {
    await audit.close();
    await store.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    config,
    store,
    audit,
    identity,
    close: () =>
      (closing ??= (async () => {
        try {
          await audit.close();
        } finally {
          await store.close();
        }
      })()),
  };
}

function openStore(config: Config): Promise<Store> {
  return config.store.kind === 'sqlite'
    ? openSqliteStore(config.store.file)
    : openPostgresStore(config.store.url.reveal());
}
