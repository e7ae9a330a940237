// Reads zt4ai.yaml, ZT4AI_* environment variables and command-line flags (in rising precedence)
// into a resolved Config. The only module that reads process.env.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ZtError } from '../errors.js';
import * as defaults from './defaults.js';
import { resolveLlmConfig } from './llm-config.js';
import { resolveMcpConfig } from './mcp-config.js';
import { resolveRemediationConfig } from './remediation-config.js';
import { resolveOperatorsConfig } from './operators-config.js';
import { rawConfigSchema, RENAMED_KEYS, type RawConfig } from './raw-config.js';
import type { Config } from './resolved-config.js';
import { Secret } from './secret.js';

/** Settings given on the command line; they override the file and the environment. */
export interface ConfigFlags {
  config?: string | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
}

export interface LoadConfigOptions {
  flags?: ConfigFlags;
  /** Defaults to process.env; tests pass their own. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** Loads and resolves the configuration. Throws ZtError `config-*` with the key and file named. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = options.flags ?? {};
  const file = locateConfigFile(flags.config ?? env.ZT4AI_CONFIG, cwd);
  const raw = file === undefined ? {} : readConfigFile(file);
  return resolveConfig(raw, env, flags, cwd, file);
}

function locateConfigFile(explicit: string | undefined, cwd: string): string | undefined {
  if (explicit !== undefined) return resolve(cwd, explicit);
  const implicit = resolve(cwd, defaults.CONFIG_FILE_NAME);
  return existsSync(implicit) ? implicit : undefined;
}

function readConfigFile(file: string): RawConfig {
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > MAX_CONFIG_FILE_BYTES) throw new Error('too large');
    text = bytes.toString('utf8');
  } catch (cause) {
    throw new ZtError('config-file-unreadable', `cannot read config file ${file}`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 }) ?? {};
  } catch (cause) {
    throw new ZtError('config-invalid', `${file}: not valid YAML`, { cause });
  }
  return validateRaw(parsed, file);
}

/** Validates a raw config object; exported for callers that build config in code. */
export function validateRaw(input: unknown, source: string): RawConfig {
  const result = rawConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw describeIssue(result.error.issues[0], source);
}

function describeIssue(issue: z.core.$ZodIssue | undefined, source: string): ZtError {
  if (issue === undefined) return new ZtError('config-invalid', `${source}: invalid configuration`);
  const at = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const name = at === '' ? key : `${at}.${key}`;
    const renamed = RENAMED_KEYS[key];
    const hint = renamed === undefined ? '' : ` (did you mean "${renamed}"?)`;
    return new ZtError('config-unknown-key', `${source}: unknown key "${name}"${hint}`, {
      detail: { key: name, file: source },
    });
  }
  return new ZtError('config-invalid', `${source}: "${at}" ${issue.message}`, {
    detail: { key: at, file: source },
  });
}

function resolveConfig(
  raw: RawConfig,
  env: Readonly<Record<string, string | undefined>>,
  flags: ConfigFlags,
  cwd: string,
  file: string | undefined,
): Config {
  const dataDir = resolve(
    cwd,
    flags.dataDir ?? env.ZT4AI_DATA_DIR ?? raw.dataDir ?? defaults.DEFAULT_DATA_DIR,
  );
  const databaseUrl = flags.databaseUrl ?? env.ZT4AI_DATABASE_URL ?? raw.databaseUrl;
  const inData = (path: string): string => (isAbsolute(path) ? path : resolve(cwd, path));
  const storeKind = databaseUrl === undefined || databaseUrl === '' ? 'sqlite' : 'postgres';
  const identity = resolveIdentity(raw, env, storeKind);
  return {
    configFile: file,
    dataDir,
    operator: env.ZT4AI_OPERATOR === '' ? undefined : env.ZT4AI_OPERATOR,
    store:
      storeKind === 'sqlite'
        ? { kind: 'sqlite', file: resolve(dataDir, 'zt4ai.db') }
        : { kind: 'postgres', url: new Secret(databaseUrl as string) },
    masterKey: keySource(
      env.ZT4AI_MASTER_KEY,
      raw.masterKeyFile,
      inData,
      resolve(dataDir, 'master.key'),
    ),
    server: {
      host: flags.host ?? env.ZT4AI_HOST ?? raw.server?.host ?? defaults.DEFAULT_HOST,
      port: flags.port ?? envPort(env.ZT4AI_PORT) ?? raw.server?.port ?? defaults.DEFAULT_PORT,
      bodyLimitBytes: raw.server?.bodyLimitBytes ?? defaults.DEFAULT_BODY_LIMIT_BYTES,
      shutdownTimeoutMs: raw.server?.shutdownTimeoutMs ?? defaults.DEFAULT_SHUTDOWN_TIMEOUT_MS,
    },
    logLevel: env.ZT4AI_LOG_LEVEL ?? raw.log?.level ?? defaults.DEFAULT_LOG_LEVEL,
    identity,
    policy: {
      bundle: raw.policy?.bundle === undefined ? undefined : inData(raw.policy.bundle),
      trustedKeys: (raw.policy?.trustedKeys ?? []).map(inData),
    },
    guard: {
      egress: {
        allowHosts: raw.guard?.egress?.allowHosts ?? [],
        allowPrivate: raw.guard?.egress?.allowPrivate ?? [],
        allowedSchemes: raw.guard?.egress?.allowedSchemes ?? defaults.DEFAULT_ALLOWED_SCHEMES,
      },
      pathRoots: raw.guard?.pathRoots ?? [],
      detectorTimeoutMs: raw.guard?.detectorTimeoutMs ?? defaults.DEFAULT_DETECTOR_TIMEOUT_MS,
    },
    tools: raw.tools ?? [],
    mcp: resolveMcpConfig(raw.mcp, env, cwd, identity.issuer),
    llm: resolveLlmConfig(raw.llm, env),
    remediation: resolveRemediationConfig(raw.remediation, env),
    operators: resolveOperatorsConfig(raw.operators, env, identity.issuer),
    audit: {
      origin: raw.audit?.origin ?? defaults.DEFAULT_AUDIT_ORIGIN,
      signingKey: keySource(
        env.ZT4AI_AUDIT_SIGNING_KEY,
        raw.audit?.signingKeyFile,
        inData,
        resolve(dataDir, 'audit-log.key'),
      ),
      maxEntryBytes: raw.audit?.maxEntryBytes ?? defaults.DEFAULT_MAX_ENTRY_BYTES,
      batchMaxEntries: raw.audit?.batchMaxEntries ?? defaults.DEFAULT_BATCH_MAX_ENTRIES,
      batchMaxDelayMs: raw.audit?.batchMaxDelayMs ?? defaults.DEFAULT_BATCH_MAX_DELAY_MS,
      checkpointHistoryIntervalMs:
        raw.audit?.checkpointHistoryIntervalMs ?? defaults.DEFAULT_CHECKPOINT_HISTORY_INTERVAL_MS,
    },
  };
}

function keySource(
  inline: string | undefined,
  fileSetting: string | undefined,
  inData: (path: string) => string,
  fallbackFile: string,
): Config['masterKey'] {
  if (inline !== undefined && inline !== '') return { kind: 'inline', value: new Secret(inline) };
  return { kind: 'file', path: fileSetting === undefined ? fallbackFile : inData(fileSetting) };
}

function envPort(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ZtError('config-invalid', `environment: ZT4AI_PORT must be a port number`, {
      detail: { key: 'ZT4AI_PORT', file: 'environment' },
    });
  }
  return port;
}

function resolveIdentity(
  raw: RawConfig,
  env: Readonly<Record<string, string | undefined>>,
  storeKind: Config['store']['kind'],
): Config['identity'] {
  const issuer = (env.ZT4AI_ISSUER ?? raw.identity?.issuer ?? defaults.DEFAULT_ISSUER).replace(
    /\/+$/,
    '',
  );
  return {
    issuer,
    audience: raw.identity?.audience ?? [issuer],
    trustDomain: raw.identity?.trustDomain ?? defaults.DEFAULT_TRUST_DOMAIN,
    certificateTtlSeconds:
      raw.identity?.certificateTtlSeconds ?? defaults.DEFAULT_CERTIFICATE_TTL_SECONDS,
    maxCertificateTtlSeconds: defaults.MAX_CERTIFICATE_TTL_SECONDS,
    clockSkewSeconds: raw.identity?.clockSkewSeconds ?? defaults.DEFAULT_CLOCK_SKEW_SECONDS,
    proofMaxAgeSeconds: defaults.DEFAULT_PROOF_MAX_AGE_SECONDS,
    // One process serves a SQLite store; gateways scale out over PostgreSQL, and share the jtis.
    proofReplay: raw.identity?.proofReplay ?? (storeKind === 'postgres' ? 'store' : 'process'),
  };
}
