// Public face of guard/: the decision pipeline every enforcement point calls.
export { detectCallFacts } from './call-facts.js';
export type { CallFacts, DetectionSettings } from './call-facts.js';
export { Guard } from './guard.js';
export type {
  Authenticate,
  BindingCheck,
  Decision,
  DecisionRecorder,
  GrantCheck,
  GuardAction,
  GuardDecision,
  GuardOptions,
  GuardPrincipal,
  GuardRequest,
} from './guard.js';
export { argumentKinds } from './tool-catalog.js';
export type { ToolConfig } from './tool-catalog.js';
