// The one error class of the gateway package: callers branch on `code`, never on message text.

/** Stable error codes. Adding one is an API decision; renaming one is a breaking change. */
export type ZtErrorCode =
  | 'config-invalid'
  | 'config-unknown-key'
  | 'config-file-unreadable'
  | 'invalid-json'
  | 'invalid-entry'
  | 'entry-too-large'
  | 'invalid-argument'
  | 'index-out-of-range'
  | 'invalid-tree-size'
  | 'invalid-range'
  | 'not-found'
  | 'store-unavailable'
  | 'store-schema-newer'
  | 'log-key-mismatch'
  | 'key-file-invalid'
  | 'payload-shredded'
  | 'payload-corrupt'
  | 'log-inconsistent'
  | 'shutting-down'
  | 'profile-not-approved'
  | 'agent-not-active'
  | 'grant-invalid'
  | 'grant-ttl-exceeds-mission'
  | 'grant-outside-mission'
  | 'grant-not-pending'
  | 'unknown-tool'
  | 'not-an-approver'
  | 'self-approval'
  | 'tool-definition-invalid'
  | 'tool-digest-mismatch'
  | 'tool-flags-not-accepted'
  | 'tool-not-pending'
  | 'detector-limit'
  | 'detector-timeout'
  | 'policy-invalid'
  | 'policy-engine-error'
  | 'value-out-of-range'
  | 'bundle-unsigned'
  | 'bundle-signature-invalid'
  | 'bundle-invalid'
  | 'bundle-rollback'
  | 'bundle-version-reused'
  | 'bundle-renamed'
  | 'unauthenticated'
  | 'forbidden'
  | 'csrf-invalid'
  | 'login-invalid'
  | 'oidc-unavailable'
  | 'incident-open'
  | 'incident-not-open'
  | 'kill-switch-not-engaged'
  | 'internal';

/** A domain error with a stable code. Its message is safe to show to an operator. */
export class ZtError extends Error {
  readonly code: ZtErrorCode;
  /** Extra machine-readable detail (for example the first bad index of a log). */
  readonly detail: Readonly<Record<string, string | number>> | undefined;

  constructor(
    code: ZtErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: Record<string, string | number> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ZtError';
    this.code = code;
    this.detail = options?.detail;
  }
}

/** Wraps anything thrown into a ZtError; unknown failures become `internal` with a generic message. */
export function toZtError(error: unknown): ZtError {
  if (error instanceof ZtError) return error;
  return new ZtError('internal', 'internal error', { cause: error });
}
