// Drift detection (DESIGN §4): does what an agent actually sends still fit the profile its
// certificate was issued for? A new value in a typed template slot is fine; any other change is
// drift, reported with the field that moved.
import type { AgentCertificateClaims } from '@zt4ai/verify';
import { canonicalJson } from './canonical-digest.js';
import { compileTemplate } from './prompt-template.js';
import { type ModelBinding, type PromptConfig, promptDigest } from './security-profile.js';

/** What a request really carries (LLM gateway: model + system prompt + tools + params). */
export interface ObservedBinding {
  readonly model?: Partial<ModelBinding>;
  readonly prompt?: {
    readonly system?: string;
    readonly tools?: readonly unknown[];
    readonly params?: Readonly<Record<string, unknown>>;
  };
}

/** The approved profile the certificate refers to. */
export interface BoundProfile {
  readonly model: ModelBinding;
  readonly prompt: PromptConfig;
}

export type DriftField =
  | 'model.provider'
  | 'model.name'
  | 'model.version'
  | 'model.digest'
  | 'prompt.digest'
  | 'prompt.system'
  | 'prompt.tools'
  | 'prompt.params';

export type BindingResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly drift: { field: DriftField; expected: string; observed: string };
    };

const EXCERPT = 120;
/** Compiled templates and profile digests are kept: profiles repeat on every call of an agent. */
const COMPILED_CACHE = 1024;
const compiled = new Map<string, ReturnType<typeof compileTemplate>>();
const digests = new WeakMap<PromptConfig, string>();

function compiledTemplate(template: string): ReturnType<typeof compileTemplate> {
  const cached = compiled.get(template);
  if (cached !== undefined) return cached;
  const made = compileTemplate(template);
  if (compiled.size >= COMPILED_CACHE) compiled.delete(compiled.keys().next().value as string);
  compiled.set(template, made);
  return made;
}

function profileDigest(prompt: PromptConfig): string {
  let digest = digests.get(prompt);
  if (digest === undefined) {
    digest = promptDigest(prompt);
    digests.set(prompt, digest);
  }
  return digest;
}

export function checkBinding(
  certificate: Pick<AgentCertificateClaims, 'model' | 'prompt'>,
  profile: BoundProfile,
  observed: ObservedBinding,
): BindingResult {
  const digest = profileDigest(profile.prompt);
  if (digest !== certificate.prompt.digest) {
    return drift('prompt.digest', certificate.prompt.digest, digest);
  }
  for (const field of ['provider', 'name', 'version', 'digest'] as const) {
    const expected = certificate.model[field];
    const seen = observed.model?.[field];
    if (seen !== undefined && seen !== expected)
      return drift(`model.${field}`, expected ?? '', seen);
  }
  const prompt = observed.prompt;
  if (
    prompt?.system !== undefined &&
    !compiledTemplate(profile.prompt.template).matches(prompt.system)
  ) {
    return drift('prompt.system', profile.prompt.template, prompt.system);
  }
  if (
    prompt?.tools !== undefined &&
    canonicalJson(prompt.tools) !== canonicalJson(profile.prompt.tools)
  ) {
    return drift('prompt.tools', canonicalJson(profile.prompt.tools), canonicalJson(prompt.tools));
  }
  if (prompt?.params !== undefined) {
    for (const [key, value] of Object.entries(prompt.params)) {
      const expected = profile.prompt.params[key];
      if (expected === undefined || canonicalJson(expected) !== canonicalJson(value)) {
        return drift(
          'prompt.params',
          `${key}=${expected === undefined ? '(unset)' : canonicalJson(expected)}`,
          `${key}=${canonicalJson(value)}`,
        );
      }
    }
  }
  return { ok: true };
}

/** A drift report with short excerpts around the first difference, never whole prompts. */
function drift(field: DriftField, expected: string, observed: string): BindingResult {
  let at = 0;
  while (at < expected.length && expected[at] === observed[at]) at += 1;
  const start = Math.max(0, at - EXCERPT / 2);
  const cut = (text: string): string => text.slice(start, start + EXCERPT);
  return { ok: false, drift: { field, expected: cut(expected), observed: cut(observed) } };
}
