// Public face of llm/: the LLM gateway (OpenAI- and Anthropic-compatible endpoints in front of
// model providers) and its routes.
export { LlmGateway } from './llm-gateway.js';
export type { LlmGatewayOptions } from './llm-gateway.js';
export type { CostGrouping, CostLine } from './call-costs.js';
export { registerLlmRoutes } from './llm-routes.js';
export type { LlmRouteOptions } from './llm-routes.js';
export type { LlmLogger } from './llm-call.js';
