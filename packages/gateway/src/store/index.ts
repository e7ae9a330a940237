// Public face of store/: the port, its row types and the two drivers.
export { openPostgresStore } from './postgres/open-postgres.js';
export type { PostgresStoreOptions } from './postgres/open-postgres.js';
export type {
  AuditAgentKeyRow,
  AuditCheckpointRow,
  AuditEntryRow,
  AuditHeadRow,
  AuditNodeRow,
  AuditPayloadRow,
  AgentRow,
  AgentStatus,
  Database,
  GrantRow,
  GrantStatus,
  IncidentEventRow,
  IncidentRow,
  IncidentStatus,
  OperatorRole,
  OperatorRow,
  IssuerKeyRow,
  IssuerKeyState,
  KillSwitchRow,
  KillSwitchScope,
  MissionRow,
  ProfileRow,
  PolicyBundleRow,
  ProfileStatus,
  RevocationKind,
  RevocationRow,
  WebhookOutboxRow,
} from './schema.js';
export { openSqliteStore } from './sqlite/open-sqlite.js';
export { readAuditNodes } from './audit-batch.js';
export type { AuditBatchPlan, AuditBatchRows, NodeAt } from './audit-batch.js';
export type { Store, StoreKind, StoreLock } from './store.js';
