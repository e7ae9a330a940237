// Public face of audit/: the log, its signer and the shapes it returns.
export { AuditLog } from './audit-log.js';
export type {
  AppendOptions,
  AuditLogOptions,
  LogEntry,
  ProvenEntries,
  RecordedEvent,
  RecordListener,
} from './audit-log.js';
export { LogFollower, recordedFromEntry } from './log-follower.js';
export type { FollowedEvent, LogFollowerOptions } from './log-follower.js';
export { loadLogSigner } from './log-signer.js';
export type { LogSigner } from './log-signer.js';
export { consistencyProofJson, inclusionProofJson } from './proofs.js';
export type { ConsistencyProof, InclusionProof } from './proofs.js';
export type { LogReport } from './verify-log.js';
