// Public face of config/: load, validate and resolve settings.
export { loadConfig, validateRaw } from './load-config.js';
export type { ConfigFlags, LoadConfigOptions } from './load-config.js';
export type {
  LlmBudgetConfig,
  LlmBudgetPeriod,
  LlmConfig,
  LlmPriceConfig,
  LlmProviderConfig,
  LlmProviderKind,
} from './llm-config.js';
export type { McpConfig, McpUpstreamConfig } from './mcp-config.js';
export type { OidcConfig, OperatorsConfig } from './operators-config.js';
export type {
  ContainmentAction,
  RemediationConfig,
  RemediationRule,
  TriggerConfig,
  WebhookConfig,
} from './remediation-config.js';
export type { Config, KeySource, StoreConfig } from './resolved-config.js';
export { Secret } from './secret.js';
