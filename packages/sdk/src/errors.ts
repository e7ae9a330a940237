// The one error class of @zt4ai/sdk (CONVENTIONS 3): callers branch on `code`, never on message text.

/** Stable error codes. Adding one is an API decision; renaming one is a breaking change. */
export type SdkErrorCode =
  /** A given or stored key is not an Ed25519 private JWK, or its `x` does not belong to its `d`. */
  | 'key-invalid'
  /** The key file could not be read or written. */
  | 'key-file-unreadable'
  /** The key file may be read or written by others than its owner (its mode is not 0600). */
  | 'key-file-insecure'
  /** The issuer could not be reached (network failure). */
  | 'issuer-unreachable'
  /** The issuer answered with a server error or with something that is not the protocol. */
  | 'issuer-error'
  /** The issuer refused the request for a reason other than the two below (see `detail`). */
  | 'issuance-refused'
  /** The presented model or prompt differs from the approved profile; it now awaits approval. */
  | 'profile-not-approved'
  /** The agent is pending, quarantined or retired. */
  | 'agent-not-active'
  /** The issued certificate is malformed or not bound to this agent's key. */
  | 'certificate-invalid';

/** Machine-readable detail of a refusal: the HTTP status and the server's own error code. */
export interface SdkErrorDetail {
  readonly status?: number;
  readonly serverCode?: string;
}

/** A domain error with a stable code and a fixed message that never echoes secrets or tokens. */
export class SdkError extends Error {
  /** Stable reason; branch on this. */
  readonly code: SdkErrorCode;
  /** For refusals by the issuer: its HTTP status and error code. */
  readonly detail: SdkErrorDetail | undefined;

  constructor(
    code: SdkErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: SdkErrorDetail },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SdkError';
    this.code = code;
    this.detail = options?.detail;
  }
}
