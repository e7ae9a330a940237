// The `llm` section of zt4ai.yaml (docs/llm-gateway.md): the model providers the LLM gateway
// forwards to, its limits, budgets, rate limits and price overrides. Raw schema and resolution in
// one place, so the rest of config/ only mentions the section. Provider keys are resolved to
// `Secret`s; a key may name an environment variable instead of holding the secret.
import { z } from 'zod';
import * as defaults from './defaults.js';
import { type Secret, secret, secretValue } from './secret.js';

const positiveInt = z.number().int().positive();
/** A provider id is what certificates name as `model.provider` (and a grant resource's first part). */
const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MODEL_ID = /^[\x21-\x7e]{1,256}$/;

export type LlmProviderKind = 'openai' | 'azure-openai' | 'anthropic' | 'openai-compatible';

const rawProvider = z
  .strictObject({
    id: z.string().regex(PROVIDER_ID, 'must be letters, digits, "_", "." or "-"'),
    kind: z.enum(['openai', 'azure-openai', 'anthropic', 'openai-compatible']),
    /** OpenAI: `https://api.openai.com/v1`; Anthropic: `https://api.anthropic.com`; Azure: the resource endpoint. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    apiKey: secretValue.optional(),
    /** Azure only: with it, requests go to `/openai/deployments/{deployment}/…?api-version=`. */
    apiVersion: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,40}$/)
      .optional(),
    /** Azure only: model id → deployment name (default: the model id). */
    deployments: z
      .record(z.string().regex(MODEL_ID), z.string().regex(/^[A-Za-z0-9._-]{1,128}$/))
      .optional(),
    /** Anthropic only: `anthropic-beta` values an agent may send on (anything else is dropped). */
    anthropicBetas: z
      .array(z.string().regex(/^[A-Za-z0-9._-]{1,100}$/))
      .max(50)
      .optional(),
    timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  })
  .superRefine((provider, context) => {
    const issue = (path: string, message: string): void =>
      context.addIssue({ code: 'custom', path: [path], message });
    if (
      (provider.kind === 'azure-openai' || provider.kind === 'openai-compatible') &&
      provider.baseUrl === undefined
    )
      issue('baseUrl', `is required for ${provider.kind}`);
    if (provider.kind !== 'azure-openai') {
      if (provider.apiVersion !== undefined) issue('apiVersion', 'is only used by azure-openai');
      if (provider.deployments !== undefined) issue('deployments', 'is only used by azure-openai');
    }
    if (provider.kind !== 'anthropic' && provider.anthropicBetas !== undefined)
      issue('anthropicBetas', 'is only used by anthropic');
  });

const rawBudget = z.strictObject({
  scope: z.enum(['agent', 'team', 'mission']),
  /** An agent id, team name or mission id; `*` (default) gives every one its own budget. */
  subject: z.string().min(1).max(200).optional(),
  period: z.enum(['hour', 'day', 'week', 'month', 'total']),
  limitUsd: z.number().nonnegative().max(1e7),
});

const perMTok = z.number().nonnegative().max(1e6);
const rawPrice = z.strictObject({
  provider: z.string().regex(PROVIDER_ID),
  model: z.string().regex(MODEL_ID),
  inputPerMTok: perMTok,
  outputPerMTok: perMTok,
  cachedInputPerMTok: perMTok.optional(),
  cacheWritePerMTok: perMTok.optional(),
});

/** Raw schema of the `llm` section (unknown keys are errors, like everywhere in zt4ai.yaml). */
export const rawLlmSchema = z
  .strictObject({
    providers: z.array(rawProvider).max(100).optional(),
    maxRequestBytes: positiveInt.max(256 * 1024 * 1024).optional(),
    maxResponseBytes: positiveInt.max(1024 * 1024 * 1024).optional(),
    /** Longest silence from a provider (before its answer or between two chunks). */
    timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
    /** Output ceiling set on calls under a budget that name none. */
    defaultMaxOutputTokens: positiveInt.max(10_000_000).optional(),
    /** `previous_response_id`, `conversation` and stored `prompt`s hide context from the binding check. */
    allowServerSideContext: z.boolean().optional(),
    toolCalls: z
      .strictObject({
        onDeny: z.enum(['strip', 'flag']).optional(),
        namespace: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,64}$/)
          .optional(),
      })
      .optional(),
    rateLimits: z
      .strictObject({
        requestsPerMinute: positiveInt.max(1_000_000).optional(),
        tokensPerMinute: positiveInt.max(1_000_000_000).optional(),
      })
      .optional(),
    budgets: z.array(rawBudget).max(1000).optional(),
    prices: z.array(rawPrice).max(10_000).optional(),
  })
  .superRefine((section, context) => {
    const seen = new Set<string>();
    for (const [index, provider] of (section.providers ?? []).entries()) {
      if (seen.has(provider.id))
        context.addIssue({
          code: 'custom',
          path: ['providers', index, 'id'],
          message: 'is not unique',
        });
      seen.add(provider.id);
    }
  });

export type RawLlmConfig = z.infer<typeof rawLlmSchema>;

export interface LlmProviderConfig {
  readonly id: string;
  readonly kind: LlmProviderKind;
  /** Without a trailing slash. */
  readonly baseUrl: string;
  readonly apiKey: Secret | undefined;
  readonly apiVersion: string | undefined;
  readonly deployments: Readonly<Record<string, string>>;
  readonly anthropicBetas: readonly string[];
  readonly timeoutMs: number;
}

export type LlmBudgetPeriod = 'hour' | 'day' | 'week' | 'month' | 'total';

export interface LlmBudgetConfig {
  readonly scope: 'agent' | 'team' | 'mission';
  readonly subject: string;
  readonly period: LlmBudgetPeriod;
  readonly limitUsd: number;
}

export interface LlmPriceConfig {
  readonly provider: string;
  readonly model: string;
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  readonly cachedInputPerMTok: number | undefined;
  readonly cacheWritePerMTok: number | undefined;
}

export interface LlmConfig {
  readonly providers: readonly LlmProviderConfig[];
  readonly maxRequestBytes: number;
  readonly maxResponseBytes: number;
  readonly timeoutMs: number;
  readonly defaultMaxOutputTokens: number;
  readonly allowServerSideContext: boolean;
  readonly toolCalls: { readonly onDeny: 'strip' | 'flag'; readonly namespace: string };
  readonly rateLimits: {
    readonly requestsPerMinute: number | undefined;
    readonly tokensPerMinute: number | undefined;
  };
  readonly budgets: readonly LlmBudgetConfig[];
  readonly prices: readonly LlmPriceConfig[];
}

const DEFAULT_BASE_URLS: Partial<Record<LlmProviderKind, string>> = {
  openai: defaults.DEFAULT_OPENAI_BASE_URL,
  anthropic: defaults.DEFAULT_ANTHROPIC_BASE_URL,
};

/** Resolves the raw section against the environment (provider keys given as `{env: NAME}`). */
export function resolveLlmConfig(
  raw: RawLlmConfig | undefined,
  env: Readonly<Record<string, string | undefined>>,
): LlmConfig {
  const timeoutMs = raw?.timeoutMs ?? defaults.DEFAULT_LLM_TIMEOUT_MS;
  return {
    providers: (raw?.providers ?? []).map((provider, index) => ({
      id: provider.id,
      kind: provider.kind,
      baseUrl: (provider.baseUrl ?? DEFAULT_BASE_URLS[provider.kind] ?? '').replace(/\/+$/, ''),
      apiKey:
        provider.apiKey === undefined
          ? undefined
          : secret(provider.apiKey, env, `llm.providers.${index}.apiKey`),
      apiVersion: provider.apiVersion,
      deployments: provider.deployments ?? {},
      anthropicBetas: provider.anthropicBetas ?? [],
      timeoutMs: provider.timeoutMs ?? timeoutMs,
    })),
    maxRequestBytes: raw?.maxRequestBytes ?? defaults.DEFAULT_LLM_MAX_REQUEST_BYTES,
    maxResponseBytes: raw?.maxResponseBytes ?? defaults.DEFAULT_LLM_MAX_RESPONSE_BYTES,
    timeoutMs,
    defaultMaxOutputTokens: raw?.defaultMaxOutputTokens ?? defaults.DEFAULT_LLM_MAX_OUTPUT_TOKENS,
    allowServerSideContext: raw?.allowServerSideContext ?? false,
    toolCalls: {
      onDeny: raw?.toolCalls?.onDeny ?? 'strip',
      namespace: raw?.toolCalls?.namespace ?? defaults.DEFAULT_LLM_TOOL_NAMESPACE,
    },
    rateLimits: {
      requestsPerMinute: raw?.rateLimits?.requestsPerMinute,
      tokensPerMinute: raw?.rateLimits?.tokensPerMinute,
    },
    budgets: (raw?.budgets ?? []).map((budget) => ({
      scope: budget.scope,
      subject: budget.subject ?? '*',
      period: budget.period,
      limitUsd: budget.limitUsd,
    })),
    prices: (raw?.prices ?? []).map((price) => ({
      provider: price.provider,
      model: price.model,
      inputPerMTok: price.inputPerMTok,
      outputPerMTok: price.outputPerMTok,
      cachedInputPerMTok: price.cachedInputPerMTok,
      cacheWritePerMTok: price.cacheWritePerMTok,
    })),
  };
}
