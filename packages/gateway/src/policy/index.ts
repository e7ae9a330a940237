// Public face of the policy component: the Cedar engine wrapper and lossless JSON for its inputs.
export { CedarEngine } from './cedar-engine.js';
export type {
  CedarDecision,
  CedarEngineOptions,
  CedarLoadInput,
  CedarRequest,
  CedarWarning,
  EntityRef,
} from './cedar-engine.js';
export { createCedarRuntime } from './cedar-runtime.js';
export type { CedarBindings, CedarRuntime } from './cedar-runtime.js';
export { parseJsonLossless } from './lossless-json.js';
