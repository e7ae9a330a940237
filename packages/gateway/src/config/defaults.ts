// Named defaults for every setting: the one place a default value is written.

export const DEFAULT_DATA_DIR = './.zt4ai';
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7300;
export const DEFAULT_LOG_LEVEL = 'info';
export const DEFAULT_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
export const DEFAULT_AUDIT_ORIGIN = 'zt4ai.local/audit';
/** Largest canonical audit entry accepted (DESIGN §5; issue: 1 MiB by default). */
export const DEFAULT_MAX_ENTRY_BYTES = 1024 * 1024;
/** Largest number of entries committed in one transaction. */
export const DEFAULT_BATCH_MAX_ENTRIES = 2048;
/** How long the appender waits to fill a batch once one entry is waiting. */
export const DEFAULT_BATCH_MAX_DELAY_MS = 0;
/** How often a signed checkpoint is also kept in the checkpoint history. */
export const DEFAULT_CHECKPOINT_HISTORY_INTERVAL_MS = 1000;
/** Drain budget for SIGINT/SIGTERM before the process gives up waiting. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const CONFIG_FILE_NAME = 'zt4ai.yaml';
/** Issuer URL of this control plane (the `iss` of every certificate). */
export const DEFAULT_ISSUER = 'http://127.0.0.1:7300';
export const DEFAULT_TRUST_DOMAIN = 'zt4ai.local';
/** Certificate lifetime (DESIGN §4: default 10 min, maximum 1 h). */
export const DEFAULT_CERTIFICATE_TTL_SECONDS = 600;
export const MAX_CERTIFICATE_TTL_SECONDS = 3600;
/** Clock skew tolerated on certificate times. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
/** How long a proof of possession is accepted after its `iat`. */
export const DEFAULT_PROOF_MAX_AGE_SECONDS = 60;
/** Budget for asynchronous detectors (DNS) in one decision; over it the call is denied. */
export const DEFAULT_DETECTOR_TIMEOUT_MS = 200;
/** Egress is HTTPS only unless a scheme is listed. */
export const DEFAULT_ALLOWED_SCHEMES: readonly string[] = ['https'];
