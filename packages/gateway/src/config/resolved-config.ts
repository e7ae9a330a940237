// Stage two of configuration: every setting resolved to a concrete value with named defaults.
import type { LlmConfig } from './llm-config.js';
import type { McpConfig } from './mcp-config.js';
import type { OperatorsConfig } from './operators-config.js';
import type { RawConfig } from './raw-config.js';
import type { RemediationConfig } from './remediation-config.js';
import type { Secret } from './secret.js';

export type StoreConfig =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: Secret };

/** Where a key comes from: given inline (environment), or a file that is created on first start. */
export type KeySource =
  | { readonly kind: 'inline'; readonly value: Secret }
  | { readonly kind: 'file'; readonly path: string };

export interface Config {
  /** The zt4ai.yaml that was read, if any. */
  readonly configFile: string | undefined;
  readonly dataDir: string;
  /** The operator a CLI command acts as (ZT4AI_OPERATOR); the login name when unset. */
  readonly operator: string | undefined;
  readonly store: StoreConfig;
  readonly masterKey: KeySource;
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    readonly shutdownTimeoutMs: number;
  };
  readonly logLevel: string;
  readonly identity: {
    readonly issuer: string;
    readonly audience: readonly string[];
    readonly trustDomain: string;
    readonly certificateTtlSeconds: number;
    readonly maxCertificateTtlSeconds: number;
    readonly clockSkewSeconds: number;
    readonly proofMaxAgeSeconds: number;
    /** Where proof jtis are remembered (identity/store-replay-cache.ts). */
    readonly proofReplay: 'process' | 'store';
  };
  readonly policy: {
    readonly bundle: string | undefined;
    readonly trustedKeys: readonly string[];
  };
  readonly guard: {
    readonly egress: {
      readonly allowHosts: readonly string[];
      readonly allowPrivate: readonly string[];
      readonly allowedSchemes: readonly string[];
    };
    readonly pathRoots: readonly string[];
    readonly detectorTimeoutMs: number;
  };
  readonly tools: ReadonlyArray<NonNullable<RawConfig['tools']>[number]>;
  /** The MCP gateway: upstream servers and the limits of /mcp (docs/mcp-gateway.md). */
  readonly mcp: McpConfig;
  /** The LLM gateway: model providers, limits, budgets and prices (docs/llm-gateway.md). */
  readonly llm: LlmConfig;
  /** Containment: remediation rules and the webhook they notify (docs/containment.md). */
  readonly remediation: RemediationConfig;
  /** Operator single sign-on (docs/governance.md). */
  readonly operators: OperatorsConfig;
  readonly audit: {
    readonly origin: string;
    readonly signingKey: KeySource;
    readonly maxEntryBytes: number;
    readonly batchMaxEntries: number;
    readonly batchMaxDelayMs: number;
    readonly checkpointHistoryIntervalMs: number;
  };
}
