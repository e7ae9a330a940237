// The one error class of @zt4ai/verify (CONVENTIONS 3): a stable `code` to branch on, a fixed message.

/** Every way verification can fail on hostile or malformed input. Callers branch on this, never on `message`. */
export type VerifyErrorCode =
  | 'invalid-integer'
  | 'invalid-hash-size'
  | 'proof-too-long'
  | 'index-out-of-range'
  | 'invalid-tree-sizes'
  | 'invalid-proof-length'
  | 'root-mismatch'
  | 'invalid-peak-count'
  | 'invalid-base64'
  | 'malformed-note'
  | 'note-too-large'
  | 'too-many-signatures'
  | 'malformed-verifier-key'
  | 'unsupported-key-type'
  | 'bad-signature'
  | 'no-trusted-signature'
  | 'malformed-checkpoint'
  | 'origin-mismatch'
  | 'malformed-bundle'
  | 'bundle-too-large'
  | 'untrusted-bundle-key'
  | 'entry-not-included'
  // Agentic certificates and proofs of possession (docs/identity.md, "Error codes").
  | 'token-too-large'
  | 'token-malformed'
  | 'duplicate-json-key'
  | 'alg-not-allowed'
  | 'header-not-allowed'
  | 'typ-invalid'
  | 'kid-unknown'
  | 'signature-invalid'
  | 'issuer-invalid'
  | 'audience-invalid'
  | 'expired'
  | 'not-yet-valid'
  | 'claims-invalid'
  | 'cnf-missing'
  | 'proof-missing'
  | 'proof-typ-invalid'
  | 'proof-key-mismatch'
  | 'proof-replayed'
  | 'proof-method-mismatch'
  | 'proof-url-mismatch'
  | 'proof-ath-mismatch'
  | 'proof-stale'
  | 'proof-nonce-invalid'
  | 'revoked'
  | 'agent-not-active'
  | 'profile-changed'
  | 'replay-cache-full';

// Fixed messages: they never echo input, key ids or hashes (CONVENTIONS 4).
const MESSAGES: Readonly<Record<VerifyErrorCode, string>> = {
  'invalid-integer': 'a size or index is not a safe non-negative integer',
  'invalid-hash-size': 'a hash is not 32 bytes',
  'proof-too-long': 'proof has too many hashes',
  'index-out-of-range': 'leaf index is not below the tree size',
  'invalid-tree-sizes': 'tree sizes do not allow a consistency proof',
  'invalid-proof-length': 'proof has the wrong number of hashes',
  'root-mismatch': 'proof does not lead to the expected root',
  'invalid-peak-count': 'number of peaks does not match the tree size',
  'invalid-base64': 'invalid base64',
  'malformed-note': 'malformed signed note',
  'note-too-large': 'signed note is too large',
  'too-many-signatures': 'signed note has too many signatures',
  'malformed-verifier-key': 'malformed verifier key',
  'unsupported-key-type': 'unsupported verifier key type',
  'bad-signature': 'signature from a known key is invalid',
  'no-trusted-signature': 'no signature from a trusted key',
  'malformed-checkpoint': 'malformed checkpoint',
  'origin-mismatch': 'checkpoint origin does not match the key name',
  'malformed-bundle': 'malformed audit bundle',
  'bundle-too-large': 'audit bundle is too large',
  'untrusted-bundle-key': 'audit bundle names a key other than the trusted one',
  'entry-not-included': 'audit bundle entry is not included under the checkpoint root',
  'token-too-large': 'token is larger than 8 KiB',
  'token-malformed': 'malformed token',
  'duplicate-json-key': 'token JSON has a duplicate member name',
  'alg-not-allowed': 'token algorithm is not allowed',
  'header-not-allowed': 'token header member is not allowed',
  'typ-invalid': 'certificate type is invalid',
  'kid-unknown': 'certificate key id is not a known issuer key',
  'signature-invalid': 'token signature is invalid',
  'issuer-invalid': 'certificate issuer is not the expected one',
  'audience-invalid': 'certificate audience does not include this gateway',
  expired: 'certificate has expired',
  'not-yet-valid': 'certificate is not yet valid',
  'claims-invalid': 'certificate claims are missing or invalid',
  'cnf-missing': 'certificate has no key confirmation (bearer tokens are refused)',
  'proof-missing': 'proof of possession is missing',
  'proof-typ-invalid': 'proof type is invalid',
  'proof-key-mismatch': 'proof key is not the certificate key',
  'proof-replayed': 'proof has already been used',
  'proof-method-mismatch': 'proof was made for another HTTP method',
  'proof-url-mismatch': 'proof was made for another URL',
  'proof-ath-mismatch': 'proof was made for another certificate',
  'proof-stale': 'proof is outside the accepted time window',
  'proof-nonce-invalid': 'proof nonce is missing or invalid',
  revoked: 'certificate is revoked',
  'agent-not-active': 'agent is not active',
  'profile-changed': 'agent profile changed since the certificate was issued',
  'replay-cache-full': 'replay cache is full',
};

/** Options of {@link VerifyError}. */
export interface VerifyErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** For bundle entries: the log index of the first entry that failed. */
  index?: number;
}

/**
 * Thrown when input to be verified is malformed or does not verify. Wrong argument types
 * (caller misuse) throw `TypeError` instead.
 */
export class VerifyError extends Error {
  /** Stable reason; branch on this. */
  readonly code: VerifyErrorCode;
  /** For bundle entries: the log index of the first entry that failed. */
  declare readonly index?: number;

  constructor(code: VerifyErrorCode, options: VerifyErrorOptions = {}) {
    super(MESSAGES[code], 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'VerifyError';
    this.code = code;
    if (options.index !== undefined) this.index = options.index;
  }
}
