// The options of AgentIdentity.create in two stages (CONVENTIONS 7): checked strictly (misuse is a
// TypeError naming the option; unknown options are refused), then resolved with named defaults.
import type { JWK } from 'jose';

/** Renew a certificate when less than this many seconds of it remain. */
export const DEFAULT_RENEW_BEFORE_SECONDS = 60;

/** The model an agent runs: a pinned snapshot, optionally with the weights digest. */
export interface ModelBinding {
  provider: string;
  name: string;
  /** A pinned snapshot ("gpt-4o-2024-08-06"), never a moving alias. */
  version: string;
  /** `sha256:<hex>` of the weights, where known. */
  digest?: string;
}

/** The prompt configuration whose digest the certificate carries. */
export interface PromptConfig {
  /** The system prompt template, with its declared slots. */
  template: string;
  /** The tool manifest (names, descriptions, schemas); default `[]`. */
  tools?: unknown[];
  /** Generation parameters (temperature, …); default `{}`. */
  params?: Record<string, unknown>;
}

/** Where the agent key comes from. */
export type KeySource =
  /** A private JWK `{kty: "OKP", crv: "Ed25519", x, d}` held by the caller. */
  | { privateJwk: JWK }
  /** Node only: a key file, loaded, or generated and written with mode 0600 when absent. */
  | { file: string };

export interface AgentIdentityOptions {
  /** The control plane's base URL (its issuer URL), e.g. `https://zt4ai.example`. */
  issuer: string;
  /** The agent's id or name, as registered. */
  agent: string;
  /** The agent key; when absent, a non-extractable key is generated in memory. */
  key?: KeySource;
  model: ModelBinding;
  prompt: PromptConfig;
  /** Renew when less than this many seconds remain; default 60. */
  renewBeforeSeconds?: number;
  /** Requested certificate lifetime in seconds; default: the issuer's (10 min), at most its maximum. */
  ttlSeconds?: number;
  /** The fetch to send requests with; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Current time in milliseconds; default `Date.now`. For tests. */
  now?: () => number;
}

/** The checked options, defaults applied; `body` is the issuance request text. */
export interface ResolvedOptions {
  readonly issuer: string;
  readonly key: KeySource | undefined;
  readonly body: string;
  readonly renewBeforeSeconds: number;
  readonly fetch: typeof fetch;
  readonly now: () => number;
}

const KNOWN = new Set([
  'issuer',
  'agent',
  'key',
  'model',
  'prompt',
  'renewBeforeSeconds',
  'ttlSeconds',
  'fetch',
  'now',
]);

/** Validates the caller's options without keeping a reference to them (they may change later). */
export function resolveOptions(options: AgentIdentityOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options required');
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw new TypeError(`unknown option "${name}"`);
  }
  const o = options as Partial<Record<keyof AgentIdentityOptions, unknown>>;
  const issuer = issuerUrl(o.issuer);
  const agent = text(o.agent, 'agent');
  const model = modelBinding(o.model);
  const prompt = promptConfig(o.prompt);
  const renewBeforeSeconds = seconds(o.renewBeforeSeconds, 'renewBeforeSeconds');
  const ttlSeconds = o.ttlSeconds === undefined ? undefined : ttl(o.ttlSeconds);
  const fetchFn = fn(o.fetch, 'fetch') ?? globalThis.fetch.bind(globalThis);
  const now = fn(o.now, 'now') ?? Date.now;
  // The body is built once: the issuance proof hashes exactly these bytes, and every renewal
  // presents the same profile.
  const body = JSON.stringify({
    agent,
    model,
    prompt,
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
  });
  return {
    issuer,
    key: keySource(o.key),
    body,
    renewBeforeSeconds: renewBeforeSeconds ?? DEFAULT_RENEW_BEFORE_SECONDS,
    fetch: fetchFn as typeof fetch,
    now: now as () => number,
  };
}

/** An absolute http(s) URL without query or fragment; trailing slashes dropped, as the issuer does. */
function issuerUrl(value: unknown): string {
  const raw = text(value, 'issuer');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError('issuer must be an absolute http or https URL');
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search !== '' ||
    url.hash !== ''
  )
    throw new TypeError('issuer must be an http or https URL without query or fragment');
  return raw.replace(/\/+$/, '');
}

function modelBinding(value: unknown): ModelBinding {
  if (typeof value !== 'object' || value === null) throw new TypeError('model must be an object');
  const m = value as Record<string, unknown>;
  for (const name of Object.keys(m)) {
    if (!['provider', 'name', 'version', 'digest'].includes(name))
      throw new TypeError(`unknown model field "${name}"`);
  }
  return {
    provider: text(m['provider'], 'model.provider'),
    name: text(m['name'], 'model.name'),
    version: text(m['version'], 'model.version'),
    ...(m['digest'] === undefined ? {} : { digest: text(m['digest'], 'model.digest') }),
  };
}

function promptConfig(value: unknown): Required<PromptConfig> {
  if (typeof value !== 'object' || value === null) throw new TypeError('prompt must be an object');
  const p = value as Record<string, unknown>;
  for (const name of Object.keys(p)) {
    if (!['template', 'tools', 'params'].includes(name))
      throw new TypeError(`unknown prompt field "${name}"`);
  }
  if (typeof p['template'] !== 'string') throw new TypeError('prompt.template must be a string');
  const tools = p['tools'] ?? [];
  const params = p['params'] ?? {};
  if (!Array.isArray(tools)) throw new TypeError('prompt.tools must be an array');
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    throw new TypeError('prompt.params must be an object');
  // A JSON copy: what the issuer digests is what JSON carries, and later changes by the caller
  // cannot alter the profile this identity presents.
  return {
    template: p['template'],
    tools: jsonCopy(tools, 'prompt.tools') as unknown[],
    params: jsonCopy(params, 'prompt.params') as Record<string, unknown>,
  };
}

function keySource(value: unknown): KeySource | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null) {
    const k = value as Record<string, unknown>;
    const names = Object.keys(k);
    if (names.length === 1 && names[0] === 'file') return { file: text(k['file'], 'key.file') };
    if (names.length === 1 && names[0] === 'privateJwk' && typeof k['privateJwk'] === 'object')
      return { privateJwk: { ...(k['privateJwk'] as JWK) } };
  }
  throw new TypeError('key must be {privateJwk} or {file}');
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`${what} must be a non-empty string`);
  return value;
}

function seconds(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new TypeError(`${what} must be a finite number >= 0`);
  return value;
}

function ttl(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new TypeError('ttlSeconds must be a positive integer');
  return value;
}

function fn(value: unknown, what: string): unknown {
  if (value !== undefined && typeof value !== 'function')
    throw new TypeError(`${what} must be a function`);
  return value;
}

function jsonCopy(value: unknown, what: string): unknown {
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    throw new TypeError(`${what} must be JSON`);
  }
}
