// Public face of the agentic-certificate component (docs/identity.md): certificates, proofs of possession, replay cache.
export { verifyAgentCertificate } from './verify-certificate.js';
export type { CertificateCheckOptions, VerifiedCertificate } from './verify-certificate.js';
export type { AgentCertificateClaims } from './claims.js';
export type { JsonWebKeyLike, JsonWebKeySetLike } from './issuer-keys.js';
export { CertificateVerifier } from './certificate-verifier.js';
export type { CertificateVerifierOptions } from './certificate-verifier.js';
export { verifyProofOfPossession } from './verify-proof.js';
export type { ProofCheckOptions, VerifiedProof } from './verify-proof.js';
export { MemoryReplayCache } from './replay-cache.js';
export type { ReplayCache, MemoryReplayCacheOptions } from './replay-cache.js';
export { verifyAgentRequest } from './verify-agent-request.js';
export type {
  AgentRequestInput,
  AgentRequestOptions,
  VerifiedAgentRequest,
} from './verify-agent-request.js';
export { jwkThumbprint } from './thumbprint.js';
export type { ThumbprintInput } from './thumbprint.js';
export { normalizeHtu } from './htu.js';
export type { Ed25519PublicJwk } from './ed25519-key.js';
