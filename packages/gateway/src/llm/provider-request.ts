// Where a call goes and with which credentials, per provider kind (docs/llm-gateway.md,
// "Providers"). The provider key comes from the gateway's configuration only; nothing the agent
// sends is forwarded but the body and, to Anthropic, its `anthropic-version` and the
// `anthropic-beta` values the operator allowed.
import type { LlmProviderConfig } from '../config/index.js';
import type { LlmEndpoint } from './protocol.js';

/** Anthropic API version sent when the agent names none. */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';
const VERSION = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

export interface AgentHeaders {
  readonly anthropicVersion: string | undefined;
  readonly anthropicBeta: string | undefined;
}

export function providerUrl(
  provider: LlmProviderConfig,
  endpoint: LlmEndpoint,
  model: string,
): URL {
  const base = provider.baseUrl;
  if (provider.kind === 'anthropic') return new URL(`${base}/v1/messages`);
  const path = endpoint === 'responses' ? 'responses' : 'chat/completions';
  if (provider.kind !== 'azure-openai') return new URL(`${base}/${path}`);
  if (provider.apiVersion === undefined) return new URL(`${base}/openai/v1/${path}`);
  const version = encodeURIComponent(provider.apiVersion);
  if (endpoint === 'responses') return new URL(`${base}/openai/responses?api-version=${version}`);
  const deployment = encodeURIComponent(provider.deployments[model] ?? model);
  return new URL(
    `${base}/openai/deployments/${deployment}/chat/completions?api-version=${version}`,
  );
}

export function providerHeaders(
  provider: LlmProviderConfig,
  stream: boolean,
  agent: AgentHeaders,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'user-agent': 'zt4ai-llm-gateway',
  };
  const key = provider.apiKey?.reveal();
  if (provider.kind === 'anthropic') {
    if (key !== undefined) headers['x-api-key'] = key;
    const version = agent.anthropicVersion;
    headers['anthropic-version'] =
      version !== undefined && VERSION.test(version) ? version : DEFAULT_ANTHROPIC_VERSION;
    const betas = (agent.anthropicBeta ?? '')
      .split(',')
      .map((beta) => beta.trim())
      .filter((beta) => provider.anthropicBetas.includes(beta));
    if (betas.length > 0) headers['anthropic-beta'] = betas.join(',');
  } else if (key !== undefined) {
    if (provider.kind === 'azure-openai') headers['api-key'] = key;
    else headers.authorization = `Bearer ${key}`;
  }
  return headers;
}
