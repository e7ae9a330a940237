// Table types of the store, shared by both drivers. Column names are snake_case in SQL.

export interface AuditEntryRow {
  /** Leaf index; contiguous from 0. */
  idx: number;
  /** The canonical JSON text whose UTF-8 bytes were hashed into the leaf. */
  entry: string;
}

export interface AuditNodeRow {
  /** 0 for leaf hashes; level L holds the roots of perfect subtrees of 2^L leaves. */
  level: number;
  idx: number;
  hash: Uint8Array;
}

/** A single row (id = 1): the integrated tree and its latest signed checkpoint. */
export interface AuditHeadRow {
  id: number;
  size: number;
  root: Uint8Array;
  checkpoint: string;
  updated_at: string;
}

export interface AuditCheckpointRow {
  size: number;
  checkpoint: string;
  created_at: string;
}

export interface AuditPayloadRow {
  digest: string;
  agent: string;
  ciphertext: Uint8Array;
  created_at: string;
}

export interface AuditAgentKeyRow {
  agent: string;
  wrapped_key: Uint8Array;
  created_at: string;
}

export interface Database {
  audit_entries: AuditEntryRow;
  audit_nodes: AuditNodeRow;
  audit_head: AuditHeadRow;
  audit_checkpoints: AuditCheckpointRow;
  audit_payloads: AuditPayloadRow;
  audit_agent_keys: AuditAgentKeyRow;
}
