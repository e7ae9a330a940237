// Versioned schema migrations, applied in order by Kysely's Migrator on both drivers.
// Append new migrations; never edit one that has shipped.
import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import type { StoreKind } from './store.js';

type Binary = 'blob' | 'bytea';

function auditLog(binary: Binary): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_entries')
        .addColumn('idx', 'bigint', (c) => c.primaryKey())
        .addColumn('entry', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_nodes')
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('idx', 'bigint', (c) => c.notNull())
        .addColumn('hash', binary, (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'idx'])
        .execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('root', binary, (c) => c.notNull())
        .addColumn('checkpoint', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('size', 'bigint', (c) => c.primaryKey())
        .addColumn('checkpoint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_payloads')
        .addColumn('digest', 'text', (c) => c.primaryKey())
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('ciphertext', binary, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_agent_keys')
        .addColumn('agent', 'text', (c) => c.primaryKey())
        .addColumn('wrapped_key', binary, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

function identity(binary: Binary): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('identity_missions')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('manifest', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('identity_missions_pk', ['id', 'version'])
        .execute();
      await db.schema
        .createTable('identity_agents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('team', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('jkt', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('epoch', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('identity_profiles')
        .addColumn('agent', 'text', (c) => c.notNull().references('identity_agents.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('prompt', 'text', (c) => c.notNull())
        .addColumn('prompt_digest', 'text', (c) => c.notNull())
        .addColumn('mission_id', 'text', (c) => c.notNull())
        .addColumn('mission_version', 'integer', (c) => c.notNull())
        .addColumn('mission_digest', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'text')
        .addPrimaryKeyConstraint('identity_profiles_pk', ['agent', 'version'])
        .execute();
      await db.schema
        .createTable('identity_issuer_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_key', binary, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('activated_at', 'text')
        .addColumn('retired_at', 'text')
        .addColumn('not_after', 'text')
        .execute();
      await db.schema
        .createTable('identity_revocations')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addPrimaryKeyConstraint('identity_revocations_pk', ['kind', 'value'])
        .execute();
    },
  };
}

const grants: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('grants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('mission', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('task', 'text', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('allow', 'text', (c) => c.notNull())
      .addColumn('labels', 'text', (c) => c.notNull())
      .addColumn('not_before', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('max_uses', 'integer')
      .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('budget', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('decision_reason', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('grants_agent_status')
      .on('grants')
      .columns(['agent', 'status'])
      .execute();
    await db.schema
      .createTable('operators')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('roles', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
};

const toolPins: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('mcp_tool_pins')
      .addColumn('server', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('shadow_key', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('flags', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('approved_digest', 'text')
      .addColumn('accepted_flags', 'text')
      .addColumn('approved_by', 'text')
      .addColumn('approved_at', 'text')
      .addColumn('blocked_by', 'text')
      .addColumn('blocked_at', 'text')
      .addColumn('block_reason', 'text')
      .addColumn('first_seen', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('mcp_tool_pins_pk', ['server', 'name'])
      .execute();
    await db.schema
      .createIndex('mcp_tool_pins_shadow_key')
      .on('mcp_tool_pins')
      .column('shadow_key')
      .execute();
  },
};

const llmUsage: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('llm_budget_usage')
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('period_start', 'text', (c) => c.notNull())
      .addColumn('spent_nano', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('reserved_nano', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('llm_budget_usage_pk', [
        'scope',
        'subject',
        'period',
        'period_start',
      ])
      .execute();
    await db.schema
      .createTable('llm_calls')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('team', 'text', (c) => c.notNull())
      .addColumn('mission', 'text', (c) => c.notNull())
      .addColumn('conversation', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('endpoint', 'text', (c) => c.notNull())
      .addColumn('stream', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text', (c) => c.notNull())
      .addColumn('input_tokens', 'bigint', (c) => c.notNull())
      .addColumn('cached_input_tokens', 'bigint', (c) => c.notNull())
      .addColumn('cache_write_tokens', 'bigint', (c) => c.notNull())
      .addColumn('output_tokens', 'bigint', (c) => c.notNull())
      .addColumn('reasoning_tokens', 'bigint', (c) => c.notNull())
      .addColumn('usage_source', 'text', (c) => c.notNull())
      .addColumn('cost_nano', 'bigint')
      .addColumn('decision_index', 'bigint', (c) => c.notNull())
      .execute();
    for (const column of ['agent', 'team', 'mission'] as const) {
      await db.schema
        .createIndex(`llm_calls_${column}_started`)
        .on('llm_calls')
        .columns([column, 'started_at'])
        .execute();
    }
  },
};

const operatorAccess: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('operator_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('operator', 'text', (c) => c.notNull())
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('operator_sessions_operator')
      .on('operator_sessions')
      .column('operator')
      .execute();
    await db.schema
      .createTable('operator_login_links')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('operator', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .execute();
  },
};

const remediation: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('kill_switches')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('engaged_by', 'text', (c) => c.notNull())
      .addColumn('engaged_at', 'text', (c) => c.notNull())
      .addColumn('released_by', 'text')
      .addColumn('released_at', 'text')
      .addColumn('release_reason', 'text')
      .execute();
    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('opened_by_rule', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'text', (c) => c.notNull())
      .addColumn('quarantined', 'integer', (c) => c.notNull())
      .addColumn('released_by', 'text')
      .addColumn('released_at', 'text')
      .addColumn('release_reason', 'text')
      .execute();
    await db.schema
      .createIndex('incidents_one_open_per_agent')
      .on('incidents')
      .column('agent')
      .unique()
      .where(sql.ref('status'), '=', 'open')
      .execute();
    await db.schema
      .createIndex('incidents_agent_status')
      .on('incidents')
      .columns(['agent', 'status'])
      .execute();
    await db.schema
      .createTable('incident_events')
      .addColumn('incident', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('evidence', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('incident_events_pk', ['incident', 'seq'])
      .execute();
    await db.schema
      .createTable('webhook_outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'text', (c) => c.notNull())
      .addColumn('delivered_at', 'text')
      .addColumn('given_up_at', 'text')
      .addColumn('last_error', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('webhook_outbox_due')
      .on('webhook_outbox')
      .columns(['delivered_at', 'given_up_at', 'next_attempt_at'])
      .execute();
  },
};

/** Which agent key sealed a payload: a payload of a shredded key then reads as shredded. */
const payloadKeyId: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('audit_payloads').addColumn('key_id', 'text').execute();
  },
};

/** The signed policy bundle in force, so that an older one is refused (policy/bundle-ratchet.ts). */
const policyBundle: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('policy_bundle')
      .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('manifest_digest', 'text', (c) => c.notNull())
      .addColumn('signed_by', 'text', (c) => c.notNull())
      .addColumn('loaded_at', 'text', (c) => c.notNull())
      .execute();
  },
};

/** Proof jtis shared by every process on the store (identity/store-replay-cache.ts). */
const proofJtis: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('identity_proof_jtis')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('identity_proof_jtis_expiry')
      .on('identity_proof_jtis')
      .column('expires_at')
      .execute();
  },
};

function sharedTaint(kind: StoreKind, binary: Binary): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('mcp_taint_labels')
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('mcp_taint_labels_pk', ['agent', 'label'])
        .execute();
      await db.schema
        .createIndex('mcp_taint_labels_seen')
        .on('mcp_taint_labels')
        .column('seen_at')
        .execute();
      // Ids never repeat and, written under the 'mcp-taint' lock, commit in order: a reader that
      // has seen id N has seen every id below it.
      await db.schema
        .createTable('mcp_taint_values')
        .addColumn('id', kind === 'sqlite' ? 'integer' : 'bigserial', (c) =>
          kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('sealed', binary, (c) => c.notNull())
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('mcp_taint_values_agent')
        .on('mcp_taint_values')
        .columns(['agent', 'id'])
        .execute();
      await db.schema
        .createIndex('mcp_taint_values_seen')
        .on('mcp_taint_values')
        .column('seen_at')
        .execute();
    },
  };
}

/** Who manages an operator: `local` (zt4ai operator set, the API) or `oidc` (the identity provider). */
const operatorSource: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('operators')
      .addColumn('source', 'text', (c) => c.notNull().defaultTo('local'))
      .execute();
  },
};

/** All migrations for a driver, keyed by their ordered names. */
export function migrationProvider(kind: StoreKind): MigrationProvider {
  const binary: Binary = kind === 'sqlite' ? 'blob' : 'bytea';
  return {
    getMigrations: () =>
      Promise.resolve({
        '0001_audit_log': auditLog(binary),
        '0002_identity': identity(binary),
        '0003_grants': grants,
        '0004_mcp_tool_pins': toolPins,
        '0005_llm_usage': llmUsage,
        '0006_remediation': remediation,
        '0007_operator_access': operatorAccess,
        '0008_payload_key_id': payloadKeyId,
        '0009_policy_bundle': policyBundle,
        '0010_proof_jtis': proofJtis,
        '0011_shared_taint': sharedTaint(kind, binary),
        '0012_operator_source': operatorSource,
      }),
  };
}
