// Prices of model calls. The table is @pydantic/genai-prices, pinned to an exact version in
// package.json (so the prices of a release do not move; its data is bundled, and nothing is fetched
// at run time — `updatePrices` is never called). Operators override or add prices per provider and
// model in `llm.prices`; an override wins over the table. Costs are integers of nano-dollars
// (10^-9 USD), so sums in the store are exact.
import {
  calcPrice,
  type ModelPrice,
  type PriceCalculation,
  type Provider,
} from '@pydantic/genai-prices';
import type { LlmPriceConfig, LlmProviderConfig, LlmProviderKind } from '../config/index.js';
import type { TokenUsage } from './token-usage.js';

const NANO_PER_USD = 1e9;
const PER_MTOK = 1e6;
const CACHE_ENTRIES = 1024;

/** The table's provider for each provider kind (OpenAI-compatible servers have no public price). */
const TABLE_PROVIDERS: Readonly<Record<LlmProviderKind, readonly string[]>> = {
  openai: ['openai'],
  'azure-openai': ['azure', 'openai'],
  anthropic: ['anthropic'],
  'openai-compatible': [],
};

interface Rates {
  /** Highest price per token of an input token (plain or cache write), in USD. */
  readonly input: number;
  readonly output: number;
  readonly contextWindow: number | undefined;
}

export class PriceBook {
  readonly #overrides: Map<string, Provider>;
  readonly #rates = new Map<string, Rates | null>();
  /** Per provider and model: the table entry that prices it, or null when none does. */
  readonly #tables = new Map<string, Provider | null>();

  constructor(overrides: readonly LlmPriceConfig[]) {
    this.#overrides = new Map();
    for (const price of overrides) {
      const provider = this.#overrides.get(price.provider) ?? customProvider(price.provider);
      provider.models.push({
        id: price.model,
        match: { equals: price.model },
        prices: {
          input_mtok: price.inputPerMTok,
          output_mtok: price.outputPerMTok,
          ...(price.cachedInputPerMTok === undefined
            ? {}
            : { cache_read_mtok: price.cachedInputPerMTok }),
          ...(price.cacheWritePerMTok === undefined
            ? {}
            : { cache_write_mtok: price.cacheWritePerMTok }),
        },
      });
      this.#overrides.set(price.provider, provider);
    }
  }

  /** What a finished call cost, in nano-dollars; undefined when no price is known. */
  cost(provider: LlmProviderConfig, model: string, usage: TokenUsage): number | undefined {
    const priced = this.#price(provider, model, {
      input_tokens: usage.input,
      cache_read_tokens: usage.cachedInput,
      cache_write_tokens: usage.cacheWrite,
      output_tokens: usage.output,
    });
    return priced === undefined ? undefined : Math.round(priced.total_price * NANO_PER_USD);
  }

  /**
   * The most a call can cost, in nano-dollars: every input token at the highest input rate (cache
   * writes cost more than plain input) and every output token at the highest output rate of any
   * tier. `inputTokens` is lowered to the model's context window, never below `textBytes`.
   */
  ceiling(
    provider: LlmProviderConfig,
    model: string,
    bound: { inputTokens: number; textBytes: number; outputTokens: number },
  ): number | undefined {
    const rates = this.#ratesOf(provider, model);
    if (rates === undefined) return undefined;
    const input =
      rates.contextWindow === undefined
        ? bound.inputTokens
        : Math.min(bound.inputTokens, Math.max(bound.textBytes, rates.contextWindow));
    return Math.ceil((input * rates.input + bound.outputTokens * rates.output) * NANO_PER_USD);
  }

  #ratesOf(provider: LlmProviderConfig, model: string): Rates | undefined {
    const key = `${provider.id}\u0000${provider.kind}\u0000${model}`;
    const cached = this.#rates.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const priced = this.#price(provider, model, { input_tokens: 1, output_tokens: 1 });
    const rates =
      priced === undefined
        ? null
        : {
            input:
              Math.max(
                highest(priced.model_price.input_mtok),
                highest(priced.model_price.cache_write_mtok),
                highest(priced.model_price.cache_write_1h_mtok),
              ) / PER_MTOK,
            output: highest(priced.model_price.output_mtok) / PER_MTOK,
            contextWindow: priced.model.context_window,
          };
    if (this.#rates.size >= CACHE_ENTRIES) this.#rates.clear();
    this.#rates.set(key, rates);
    return rates ?? undefined;
  }

  #price(
    provider: LlmProviderConfig,
    model: string,
    usage: Record<string, number>,
  ): PriceCalculation | undefined {
    const key = `${provider.id}\u0000${provider.kind}\u0000${model}`;
    let table = this.#tables.get(key);
    if (table === undefined) {
      table = this.#find(provider, model, usage) ?? null;
      if (this.#tables.size >= CACHE_ENTRIES) this.#tables.clear();
      this.#tables.set(key, table);
    }
    // The model's own entry alone: the table's matching (a scan of every model) runs once per model.
    return table === null ? undefined : (safePrice(usage, model, { provider: table }) ?? undefined);
  }

  /** The provider entry that prices `model` (override first), narrowed to that model. */
  #find(
    provider: LlmProviderConfig,
    model: string,
    usage: Record<string, number>,
  ): Provider | undefined {
    const sources: Array<{ provider: Provider } | { providerId: string }> = [];
    const override = this.#overrides.get(provider.id);
    if (override !== undefined) sources.push({ provider: override });
    for (const providerId of TABLE_PROVIDERS[provider.kind]) sources.push({ providerId });
    for (const source of sources) {
      const priced = safePrice(usage, model, source);
      if (priced !== null) return { ...priced.provider, models: [priced.model] };
    }
    return undefined;
  }
}

function customProvider(id: string): Provider & { models: Provider['models'] } {
  return { id, name: id, api_pattern: '.*', models: [] };
}

/** The highest price of a rate that may be tiered by context size. */
function highest(rate: ModelPrice[string]): number {
  if (typeof rate === 'number') return rate;
  if (rate === undefined) return 0;
  return Math.max(rate.base, ...rate.tiers.map((tier) => tier.price));
}

function safePrice(
  usage: Record<string, number>,
  model: string,
  options: { provider: Provider } | { providerId: string },
): PriceCalculation | null {
  try {
    return calcPrice(usage, model, options);
  } catch {
    // The table refuses usage it cannot price (e.g. a unit the model lacks): no price known.
    return null;
  }
}
