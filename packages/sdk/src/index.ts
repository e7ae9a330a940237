// Public face of @zt4ai/sdk (CONVENTIONS 1): an agent's identity, its proofs and its authenticated fetch.
export { AgentIdentity } from './agent-identity.js';
export type { ProofOptions } from './agent-identity.js';
export { SdkError } from './errors.js';
export type { SdkErrorCode, SdkErrorDetail } from './errors.js';
export type { AgentIdentityOptions, KeySource, ModelBinding, PromptConfig } from './options.js';
