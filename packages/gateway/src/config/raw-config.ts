// Stage one of configuration (CONVENTIONS 7): the raw shape of zt4ai.yaml, validated strictly.
import { z } from 'zod';
import { rawLlmSchema } from './llm-config.js';
import { rawMcpSchema } from './mcp-config.js';
import { rawOperatorsSchema } from './operators-config.js';
import { rawRemediationSchema } from './remediation-config.js';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

/** The file schema. Unknown keys are errors, so a typo never silently falls back to a default. */
export const rawConfigSchema = z.strictObject({
  dataDir: z.string().min(1).optional(),
  databaseUrl: z.string().min(1).optional(),
  masterKeyFile: z.string().min(1).optional(),
  server: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: port.optional(),
      bodyLimitBytes: positiveInt.optional(),
      shutdownTimeoutMs: positiveInt.optional(),
    })
    .optional(),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    })
    .optional(),
  audit: z
    .strictObject({
      origin: z
        .string()
        .regex(/^[\x21-\x2a\x2c-\x7e]+$/, 'must be printable ASCII without spaces or "+"')
        .optional(),
      signingKeyFile: z.string().min(1).optional(),
      maxEntryBytes: positiveInt.max(64 * 1024 * 1024).optional(),
      batchMaxEntries: positiveInt.max(10_000).optional(),
      batchMaxDelayMs: z.number().int().min(0).max(1000).optional(),
      checkpointHistoryIntervalMs: z.number().int().min(0).optional(),
    })
    .optional(),
  identity: z
    .strictObject({
      issuer: z.url({ protocol: /^https?$/ }).optional(),
      audience: z.array(z.string().min(1)).min(1).optional(),
      trustDomain: z
        .string()
        .regex(/^[a-z0-9.-]{1,255}$/, 'must be a SPIFFE trust domain (lower-case DNS name)')
        .optional(),
      certificateTtlSeconds: positiveInt.max(3600).optional(),
      clockSkewSeconds: z.number().int().min(0).max(300).optional(),
      /** Where proof jtis are remembered: `store` (every process on it) or `process`. */
      proofReplay: z.enum(['process', 'store']).optional(),
    })
    .optional(),
  policy: z
    .strictObject({
      /** A signed policy bundle directory, loaded on top of the baseline pack. */
      bundle: z.string().min(1).optional(),
      /** Public Ed25519 JWK files whose signatures on bundles are trusted. */
      trustedKeys: z.array(z.string().min(1)).max(100).optional(),
    })
    .optional(),
  guard: z
    .strictObject({
      egress: z
        .strictObject({
          allowHosts: z.array(z.string().min(1)).max(10_000).optional(),
          allowPrivate: z.array(z.string().min(1)).max(1000).optional(),
          allowedSchemes: z
            .array(z.string().regex(/^[a-z][a-z0-9+.-]*$/))
            .max(20)
            .optional(),
        })
        .optional(),
      pathRoots: z.array(z.string().startsWith('/')).max(1000).optional(),
      detectorTimeoutMs: z.number().int().min(1).max(10_000).optional(),
    })
    .optional(),
  tools: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+$/, 'must be server/tool'),
        argKinds: z.record(z.string(), z.enum(['sql', 'url', 'path', 'command'])).optional(),
        sink: z.enum(['internal', 'external']).optional(),
        privileged: z.boolean().optional(),
        honeytoken: z.boolean().optional(),
        resultLabels: z.array(z.string().min(1).max(100)).max(50).optional(),
        sqlDialect: z
          .enum([
            'postgresql',
            'mysql',
            'mariadb',
            'sqlite',
            'transactsql',
            'bigquery',
            'snowflake',
            'redshift',
          ])
          .optional(),
      }),
    )
    .max(10_000)
    .optional(),
  mcp: rawMcpSchema.optional(),
  llm: rawLlmSchema.optional(),
  remediation: rawRemediationSchema.optional(),
  operators: rawOperatorsSchema.optional(),
});

export type RawConfig = z.infer<typeof rawConfigSchema>;

/** Keys that were renamed or are commonly misspelled, with the key to use instead. */
export const RENAMED_KEYS: Readonly<Record<string, string>> = {
  data_dir: 'dataDir',
  database_url: 'databaseUrl',
  master_key_file: 'masterKeyFile',
  max_entry_bytes: 'maxEntryBytes',
  signing_key_file: 'signingKeyFile',
};
