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
/** MCP gateway: largest JSON-RPC message accepted on /mcp. */
export const DEFAULT_MCP_MAX_MESSAGE_BYTES = 1024 * 1024;
/** MCP gateway: largest upstream result passed to an agent: the detectors scan at most this much. */
export const DEFAULT_MCP_MAX_RESULT_BYTES = 1024 * 1024;
/** MCP gateway: budget of one upstream call unless the upstream sets its own `timeoutMs`. */
export const DEFAULT_MCP_CALL_TIMEOUT_MS = 30_000;
/** MCP gateway: a 2025-era session unused this long is closed. */
export const DEFAULT_MCP_SESSION_IDLE_MS = 30 * 60 * 1000;
export const DEFAULT_MCP_SESSIONS_PER_AGENT = 32;
export const DEFAULT_MCP_MAX_SESSIONS = 10_000;
/** MCP gateway: an agent's taint memory is dropped after this long without a tool result. */
export const DEFAULT_MCP_TAINT_IDLE_MS = 60 * 60 * 1000;
/** MCP gateway: PATH of stdio upstreams when the gateway has none. */
export const DEFAULT_STDIO_PATH = '/usr/local/bin:/usr/bin:/bin';
/** Host names that always reach this machine only (allowed Host headers besides the public one). */
export const LOCAL_HOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];
/** LLM gateway: default upstream base URLs of the hosted providers. */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
/** LLM gateway: largest request body (prompts may carry images inline). */
export const DEFAULT_LLM_MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/** LLM gateway: largest non-streamed answer, and largest single event of a stream. */
export const DEFAULT_LLM_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** LLM gateway: longest silence of a provider, before its answer or between two chunks. */
export const DEFAULT_LLM_TIMEOUT_MS = 300_000;
/** LLM gateway: output ceiling set on calls under a budget that name none. */
export const DEFAULT_LLM_MAX_OUTPUT_TOKENS = 16_384;
/** LLM gateway: tool namespace of function names without a `server__` prefix. */
export const DEFAULT_LLM_TOOL_NAMESPACE = 'functions';
/** Containment: how long one webhook delivery may take before it counts as failed. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;
/** Containment: deliveries of one notification before it is given up (and logged as lost). */
export const DEFAULT_WEBHOOK_MAX_ATTEMPTS = 12;

/** Operators: how long a session lasts after login, and how long a login link can be redeemed. */
export const DEFAULT_OPERATOR_SESSION_TTL_SECONDS = 12 * 3600;
export const DEFAULT_LOGIN_LINK_TTL_SECONDS = 3600;
