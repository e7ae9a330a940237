// Composition root: the only module that picks concrete drivers and wires components together.
// The guard, its parsers and policies, and the MCP and LLM gateways are loaded when first used: a
// CLI command that only reads the log does not pay for them.
import { hkdfSync } from 'node:crypto';
import type { Config } from './config/index.js';
import { AuditLog, loadLogSigner } from './audit/index.js';
import { GrantService } from './grants/index.js';
import type { DetectionSettings, Guard, ToolConfig } from './guard/index.js';
import { IdentityService } from './identity/index.js';
import type { LlmGateway } from './llm/index.js';
import type { McpGateway, PinReviewer } from './mcp/index.js';
import type { RatchetOutcome } from './policy/bundle-ratchet.js';
import type { LoadedPolicies } from './policy/load-policies.js';
import { newSymmetricKeyText, parseSymmetricKey, readOrCreateSecret } from './secrets/index.js';
import { Remediation } from './remediation/index.js';
import { openPostgresStore, openSqliteStore, type Store } from './store/index.js';
import type { Logger } from 'pino';

/** What a key derived from the master key is for; each purpose gets its own key. */
export type KeyPurpose =
  /** Seals the taint values gateways share through the store (mcp/shared-taint.ts). */
  | 'taint-values'
  /** Seals the state of an operator's single sign-on between its two requests (access/oidc-login.ts). */
  | 'oidc-state';

/** Everything a command or the HTTP server needs, opened from one configuration. */
export interface ControlPlane {
  readonly config: Config;
  readonly store: Store;
  readonly audit: AuditLog;
  readonly identity: IdentityService;
  readonly grants: GrantService;
  /**
   * Containment: rules, incidents, the kill switch. Its rules react once started
   * (`remediation.start(logger)`); opening an MCP or LLM gateway starts it.
   */
  readonly remediation: Remediation;
  /** A 32-byte key for one purpose, derived from the master key (HKDF-SHA256); never the master key. */
  derivedKey(purpose: KeyPurpose): Buffer;
  /**
   * The guard, built on first use (it loads the policy set and the parsers): the policies in force
   * and the pipeline every enforcement point calls. Loading is recorded in the audit log.
   */
  guard(): Promise<GuardInForce>;
  /** Flushes the audit log and closes the store. Safe to call twice. */
  close(): Promise<void>;
}

export interface GuardInForce {
  readonly guard: Guard;
  readonly policies: LoadedPolicies;
  /** How a signed bundle relates to the one in force before (undefined: baseline or unsigned). */
  readonly bundleChange: RatchetOutcome | undefined;
}

export interface OpenOptions {
  /** Clock for entries and checkpoints; tests freeze it. */
  readonly now?: () => Date;
  /** Development mode: accept a policy bundle without a valid signature (loudly logged). */
  readonly allowUnsignedPolicies?: boolean;
  /**
   * Accept a signed bundle older than the one in force, of another name, or reusing its version
   * with other contents (policy/bundle-ratchet.ts); it becomes the bundle in force.
   */
  readonly allowPolicyRollback?: boolean;
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
  const grants = new GrantService({
    store,
    identity,
    audit,
    tools: {
      known: () => config.tools.map((tool) => tool.name),
      privileged: () =>
        config.tools.filter((tool) => tool.privileged === true).map((tool) => tool.name),
    },
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const remediation = new Remediation({
    store,
    audit,
    identity,
    grants,
    config: config.remediation,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  let guard: Promise<GuardInForce> | undefined;
  let closing: Promise<void> | undefined;
  return {
    config,
    store,
    audit,
    identity,
    grants,
    remediation,
    derivedKey: (purpose) =>
      Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `zt4ai ${purpose} v1`, 32)),
    guard: () =>
      (guard ??= buildGuard(config, { store, audit, identity, grants }, options).catch(
        (error: unknown) => {
          guard = undefined;
          throw error;
        },
      )),
    close: () =>
      (closing ??= (async () => {
        try {
          await remediation.stop();
          await identity.stop();
          await grants.flush().catch(() => undefined); // best effort: counts of unlimited grants
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

/** Loads the policies in force, records that in the audit log, and builds the guard over them. */
async function buildGuard(
  config: Config,
  parts: { store: Store; audit: AuditLog; identity: IdentityService; grants: GrantService },
  options: OpenOptions,
): Promise<GuardInForce> {
  const { audit, identity, grants } = parts;
  const [{ loadPolicies, readTrustedKeys }, { Guard }, { systemLookup }] = await Promise.all([
    import('./policy/load-policies.js'),
    import('./guard/index.js'),
    import('./guard/system-lookup.js'),
  ]);
  const policies = await loadPolicies({
    bundleDir: config.policy.bundle,
    trustedKeys: readTrustedKeys(config.policy.trustedKeys),
    allowUnsigned: options.allowUnsignedPolicies === true,
  });
  const ratchet = await ratchetSigned(parts.store, policies, options);
  await audit.append({
    type: 'policy.loaded',
    bundle: policies.bundle?.manifest.name ?? 'baseline',
    version: policies.bundle?.manifest.version ?? '',
    signedBy: policies.bundle?.signedBy ?? '',
    unsigned: policies.unsigned,
    change: ratchet?.change ?? '',
    previous:
      ratchet?.previous === undefined ? '' : `${ratchet.previous.name} ${ratchet.previous.version}`,
    policies: policies.set.policies.map((p) => p.id),
  });
  const guard = new Guard({
    policies: () => policies.set,
    ...(await guardInputs(config)),
    grants: grants.check(),
    audit,
    authenticator: identity.authenticator,
    binding: { check: (certificate, observed) => identity.checkBinding(certificate, observed) },
    // Host names in URL arguments are resolved and every answer classified (DNS rebinding).
    lookup: systemLookup,
    detectorTimeoutMs: config.guard.detectorTimeoutMs,
  });
  return { guard, policies, bundleChange: ratchet };
}

/** Holds a signed bundle to the bundle in force (rollback protection); unsigned ones are not kept. */
async function ratchetSigned(
  store: Store,
  policies: LoadedPolicies,
  options: OpenOptions,
): Promise<RatchetOutcome | undefined> {
  const bundle = policies.bundle;
  if (bundle?.signedBy === undefined || policies.unsigned) return undefined;
  const { ratchetBundle } = await import('./policy/bundle-ratchet.js');
  const { manifestDigest } = await import('./policy/policy-bundle.js');
  return ratchetBundle(
    store,
    {
      name: bundle.manifest.name,
      version: bundle.manifest.version,
      manifestDigest: manifestDigest(bundle.manifest),
      signedBy: bundle.signedBy,
    },
    {
      allowRollback: options.allowPolicyRollback === true,
      now: options.now ?? (() => new Date()),
    },
  );
}

/** What every guard built from `config` shares: the configured tools and the detectors' settings. */
export async function guardInputs(
  config: Config,
): Promise<{ tools: Map<string, ToolConfig>; detection: DetectionSettings }> {
  return {
    tools: new Map(config.tools.map((tool) => [tool.name, tool])),
    detection: {
      egress: config.guard.egress,
      pathRoots: config.guard.pathRoots,
      shell: await (await import('./detectors/shell.js')).loadShellParser(),
      knownTools: config.tools.map((tool) => tool.name),
    },
  };
}

/**
 * The MCP gateway over this control plane (docs/mcp-gateway.md); mount it with mountMcpEndpoint.
 * `pins` is tool pinning; by default the store-backed ToolPins (mcp/tool-pins.ts).
 */
export async function openMcpGateway(
  plane: ControlPlane,
  options: { logger: Logger; pins?: PinReviewer },
): Promise<McpGateway> {
  const { McpGateway, ToolPins } = await import('./mcp/index.js');
  const { guard } = await plane.guard();
  const { config } = plane;
  const pins =
    options.pins ??
    new ToolPins({
      store: plane.store,
      audit: plane.audit,
      autoApprove: config.mcp.autoApproveTools,
    });
  if (config.mcp.autoApproveTools)
    options.logger.warn('mcp.autoApproveTools is on: new tools are approved on first sight');
  const gateway = new McpGateway({
    config: config.mcp,
    publicUrl: config.identity.issuer,
    identity: plane.identity,
    guard,
    audit: plane.audit,
    grants: plane.grants,
    tools: new Map(config.tools.map((tool) => [tool.name, tool])),
    pathRoots: config.guard.pathRoots,
    pins,
    store: plane.store,
    taintKey: plane.derivedKey('taint-values'),
    logger: options.logger,
  });
  plane.remediation.sessions.add(gateway);
  plane.remediation.start(options.logger);
  return gateway;
}

/**
 * The LLM gateway over this control plane (docs/llm-gateway.md); mount it with registerLlmRoutes.
 * Undefined when no model provider is configured.
 */
export async function openLlmGateway(
  plane: ControlPlane,
  options: { logger: Logger },
): Promise<LlmGateway | undefined> {
  const { LlmGateway } = await import('./llm/index.js');
  const { config } = plane;
  if (config.llm.providers.length === 0) return undefined;
  const { guard } = await plane.guard();
  const gateway = new LlmGateway({
    config: config.llm,
    publicUrl: config.identity.issuer,
    guard,
    identity: plane.identity,
    grants: plane.grants,
    store: plane.store,
    audit: plane.audit,
    logger: options.logger,
  });
  plane.remediation.sessions.add(gateway);
  plane.remediation.start(options.logger);
  return gateway;
}
