// Table types of the store, shared by both drivers. Column names are snake_case in SQL.
import type { Generated } from 'kysely';

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
  /** Names the agent key that sealed it (not the key itself); null for payloads sealed before 0008. */
  key_id: string | null;
}

export interface AuditAgentKeyRow {
  agent: string;
  wrapped_key: Uint8Array;
  created_at: string;
}

export interface MissionRow {
  id: string;
  version: number;
  name: string;
  /** RFC 8785 canonical JSON of the manifest. */
  manifest: string;
  /** base64url SHA-256 of `manifest`. */
  digest: string;
  /** Compact JWS over the manifest by the issuer key in force when it was created. */
  signature: string;
  created_at: string;
}

export type AgentStatus = 'pending' | 'active' | 'quarantined' | 'retired';

export interface AgentRow {
  id: string;
  name: string;
  owner: string;
  team: string;
  public_jwk: string;
  /** RFC 7638 thumbprint of `public_jwk`. */
  jkt: string;
  status: AgentStatus;
  /** Raised by "revoke every certificate of this agent": older certificates no longer verify. */
  epoch: number;
  created_at: string;
  updated_at: string;
}

export type ProfileStatus = 'pending' | 'approved' | 'superseded' | 'rejected';

export interface ProfileRow {
  agent: string;
  version: number;
  status: ProfileStatus;
  /** JSON: {provider, name, version, digest?} */
  model: string;
  /** JSON: {template, tools, params} */
  prompt: string;
  prompt_digest: string;
  mission_id: string;
  mission_version: number;
  mission_digest: string;
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

export type IssuerKeyState = 'next' | 'current' | 'retired' | 'revoked';

export interface IssuerKeyRow {
  kid: string;
  state: IssuerKeyState;
  public_jwk: string;
  /** PKCS#8 private key sealed under the master key. */
  private_key: Uint8Array;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  /** After this instant no certificate signed by the key can be valid: it leaves the JWKS. */
  not_after: string | null;
}

export type RevocationKind = 'jti' | 'agent' | 'kid';

export interface RevocationRow {
  kind: RevocationKind;
  value: string;
  reason: string;
  created_at: string;
  /** When the row can be forgotten (every certificate it could match has expired). */
  expires_at: string | null;
}

export type GrantStatus = 'pending' | 'active' | 'denied' | 'revoked' | 'ended';

export interface GrantRow {
  id: string;
  agent: string;
  mission: string;
  /** `task`: requested for a task; `elevation`: one call that a policy sent for approval. */
  kind: 'task' | 'elevation';
  task: string;
  purpose: string;
  /** JSON: [{action, resource, args?}] */
  allow: string;
  /** JSON: labels of data the grant may touch. */
  labels: string;
  not_before: string;
  expires_at: string;
  max_uses: number | null;
  uses: number;
  /** JSON {limit, currency}: spending the grant allows (enforced where costs arise). */
  budget: string | null;
  status: GrantStatus;
  requested_by: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string;
  created_at: string;
  updated_at: string;
}

export type OperatorRole = 'admin' | 'approver' | 'auditor' | 'viewer';

export interface OperatorRow {
  name: string;
  /** JSON array of roles. */
  roles: string;
  created_at: string;
  /** Who manages the operator: 'local' or 'oidc' (its roles come from the identity provider). */
  source: Generated<'local' | 'oidc'>;
}

/** `changed`: the upstream now offers a definition other than the approved one (blocked). */
export type ToolPinStatus = 'approved' | 'pending' | 'changed' | 'blocked';

/** One upstream MCP tool: the definition last offered and the one an operator approved. */
export interface ToolPinRow {
  server: string;
  name: string;
  /** Look-alike key of `name`: tools of other servers with the same key shadow this one. */
  shadow_key: string;
  /** `sha256:<hex>` of `definition`. */
  digest: string;
  /** RFC 8785 canonical JSON of the definition last offered. */
  definition: string;
  /** JSON array of hidden-instruction flags of `definition` (`rule@where`). */
  flags: string;
  status: ToolPinStatus;
  approved_digest: string | null;
  /** JSON array: the flags (and shadowing) the approver explicitly accepted. */
  accepted_flags: string | null;
  approved_by: string | null;
  approved_at: string | null;
  blocked_by: string | null;
  blocked_at: string | null;
  block_reason: string | null;
  first_seen: string;
  updated_at: string;
}

/** Spending against one budget in one period: settled costs and reservations of calls in flight. */
export interface LlmBudgetUsageRow {
  /** `agent`, `team`, `mission` or `grant`. */
  scope: string;
  subject: string;
  /** `hour`, `day`, `week`, `month` or `total`. */
  period: string;
  /** Start of the period (UTC, ISO date or date-hour); `total` for the whole life. */
  period_start: string;
  /** Nano-dollars (10^-9 USD). */
  spent_nano: number;
  reserved_nano: number;
  updated_at: string;
}

/** One model call through the LLM gateway: who, which model, tokens and cost. */
export interface LlmCallRow {
  id: string;
  agent: string;
  team: string;
  mission: string;
  conversation: string;
  provider: string;
  model: string;
  /** `chat`, `responses` or `messages`. */
  endpoint: string;
  stream: number;
  /** `completed`, `upstream_error`, `timeout`, `cut`, `client_closed` or `failed`. */
  status: string;
  started_at: string;
  finished_at: string;
  input_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  /** `reported` by the provider, or `estimated` from what arrived. */
  usage_source: string;
  /** Nano-dollars; null when no price is known for the model. */
  cost_nano: number | null;
  /** Audit index of the guard decision that allowed the call. */
  decision_index: number;
}

/** A dashboard session: the cookie holds the secret, the store only its hash. */
export interface OperatorSessionRow {
  /** base64url SHA-256 of the session secret. */
  id_hash: string;
  operator: string;
  /** The synchronizer token state-changing requests must echo in `x-csrf-token`. */
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

/** A one-time login link: redeemed once for a session, before it expires. */
export interface OperatorLoginLinkRow {
  /** base64url SHA-256 of the token in the link. */
  token_hash: string;
  operator: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export type KillSwitchScope = 'all' | 'team' | 'mission';

/** An administrator's stop of every agent, one team or one mission; active while not released. */
export interface KillSwitchRow {
  id: string;
  scope: KillSwitchScope;
  /** The team or mission id; '' for `all`. */
  subject: string;
  reason: string;
  engaged_by: string;
  engaged_at: string;
  released_by: string | null;
  released_at: string | null;
  release_reason: string | null;
}

export type IncidentStatus = 'open' | 'released';

export interface IncidentRow {
  id: string;
  agent: string;
  status: IncidentStatus;
  opened_by_rule: string;
  opened_at: string;
  /** 1 when containment quarantined the agent (releasing the incident makes it active again). */
  quarantined: number;
  released_by: string | null;
  released_at: string | null;
  release_reason: string | null;
}

/** One line of an incident's timeline. */
export interface IncidentEventRow {
  incident: string;
  seq: number;
  at: string;
  /** `triggered`, `action`, `action-failed`, `evidence` or `released`. */
  kind: string;
  detail: string;
  /** JSON array of audit indexes this line rests on. */
  evidence: string;
}

/** A signed webhook notification waiting for delivery (an outbox: it survives restarts). */
export interface WebhookOutboxRow {
  id: string;
  /** The exact JSON body that is signed and sent. */
  body: string;
  created_at: string;
  attempts: number;
  next_attempt_at: string;
  delivered_at: string | null;
  given_up_at: string | null;
  last_error: string;
}

/** The signed policy bundle in force: the newest one this store has loaded (one row, id 1). */
export interface PolicyBundleRow {
  id: number;
  name: string;
  version: string;
  /** sha256: of the signed manifest, which names every file by its digest. */
  manifest_digest: string;
  signed_by: string;
  loaded_at: string;
}

/** A proof jti seen by some process, until its proof could no longer be accepted (epoch s). */
export interface ProofJtiRow {
  jti: string;
  expires_at: number;
}

/** A label an agent's tool results carried, as last seen by any gateway (epoch ms). */
export interface TaintLabelRow {
  agent: string;
  label: string;
  seen_at: number;
}

/** The values of one labelled result, sealed for the agent (mcp/shared-taint.ts). */
export interface TaintValuesRow {
  id: Generated<number>;
  agent: string;
  sealed: Uint8Array;
  seen_at: number;
}

export interface Database {
  mcp_tool_pins: ToolPinRow;
  grants: GrantRow;
  operators: OperatorRow;
  operator_sessions: OperatorSessionRow;
  operator_login_links: OperatorLoginLinkRow;
  identity_missions: MissionRow;
  identity_agents: AgentRow;
  identity_profiles: ProfileRow;
  identity_issuer_keys: IssuerKeyRow;
  identity_revocations: RevocationRow;
  audit_entries: AuditEntryRow;
  audit_nodes: AuditNodeRow;
  audit_head: AuditHeadRow;
  audit_checkpoints: AuditCheckpointRow;
  audit_payloads: AuditPayloadRow;
  audit_agent_keys: AuditAgentKeyRow;
  llm_budget_usage: LlmBudgetUsageRow;
  llm_calls: LlmCallRow;
  kill_switches: KillSwitchRow;
  incidents: IncidentRow;
  incident_events: IncidentEventRow;
  webhook_outbox: WebhookOutboxRow;
  policy_bundle: PolicyBundleRow;
  identity_proof_jtis: ProofJtiRow;
  mcp_taint_labels: TaintLabelRow;
  mcp_taint_values: TaintValuesRow;
}
