// Public face of @zt4ai/verify (CONVENTIONS 1): pure offline verification of the audit log (DESIGN §3, §5) and of agent identity (§4, docs/identity.md).
export { VerifyError } from './errors.js';
export type { VerifyErrorCode, VerifyErrorOptions } from './errors.js';
export { toBase64, fromBase64 } from './base64.js';
export { HASH_SIZE, EMPTY_ROOT, leafHash, nodeHash } from './merkle-hash.js';
export { CompactRange, peakCoordinates } from './compact-range.js';
export { rootFromInclusionProof, verifyInclusion } from './inclusion-proof.js';
export { verifyConsistency } from './consistency-proof.js';
export {
  noteKeyId,
  encodeVerifierKey,
  parseVerifierKey,
  parseNote,
  verifyNote,
} from './signed-note.js';
export type { NoteVerifier, SignedNote } from './signed-note.js';
export { formatCheckpoint, parseCheckpoint, verifyCheckpoint } from './checkpoint.js';
export type { Checkpoint } from './checkpoint.js';
export { verifyBundle } from './bundle.js';
export type { AuditBundle } from './bundle.js';
export {
  verifyAgentCertificate,
  CertificateVerifier,
  verifyProofOfPossession,
  MemoryReplayCache,
  verifyAgentRequest,
  jwkThumbprint,
  normalizeHtu,
} from './certificate/index.js';
export type {
  AgentCertificateClaims,
  CertificateCheckOptions,
  VerifiedCertificate,
  JsonWebKeyLike,
  JsonWebKeySetLike,
  CertificateVerifierOptions,
  ProofCheckOptions,
  VerifiedProof,
  ReplayCache,
  MemoryReplayCacheOptions,
  AgentRequestInput,
  AgentRequestOptions,
  VerifiedAgentRequest,
  ThumbprintInput,
  Ed25519PublicJwk,
} from './certificate/index.js';
