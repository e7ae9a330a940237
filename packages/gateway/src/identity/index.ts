// Public face of identity/: agents, missions, issuer keys, certificates and authentication.
export type { Agent, AgentPublicJwk, Profile } from './agent-registry.js';
export type { AgentCredentials } from './agent-authenticator.js';
export { credentialsFrom } from './credential-headers.js';
export { newId } from './canonical-digest.js';
export { checkBinding } from './check-binding.js';
export type { BindingResult, BoundProfile, DriftField, ObservedBinding } from './check-binding.js';
export { IdentityService } from './identity-service.js';
export type {
  AuditSink,
  IdentityServiceOptions,
  IssuanceRequest,
  RevokeTarget,
} from './identity-service.js';
export type { Jwks } from './issuer-keys.js';
export type { Mission, MissionManifest } from './missions.js';
export { compileTemplate } from './prompt-template.js';
export {
  modelSpec,
  parseModelBinding,
  parseModelSpec,
  parsePromptConfig,
  promptDigest,
} from './security-profile.js';
export type { ModelBinding, PromptConfig } from './security-profile.js';
export type { SignedCertificate } from './sign-certificate.js';
