// An agent's security profile: the model it runs, its prompt configuration and its mission.
// The certificate carries digests of these; any change needs an operator's approval.
import { z } from 'zod';
import { ZtError } from '../errors.js';
import { canonicalDigest } from './canonical-digest.js';
import { compileTemplate } from './prompt-template.js';

const label = z.string().min(1).max(200);

export const modelBindingSchema = z.strictObject({
  provider: label,
  name: label,
  /** A pinned snapshot, never an alias that moves ("gpt-4o-2024-08-06", not "gpt-4o"). */
  version: label,
  /** SHA-256 of the weights, where the operator knows it. */
  digest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .optional(),
});
export type ModelBinding = z.infer<typeof modelBindingSchema>;

export const promptConfigSchema = z.strictObject({
  /** The system prompt, with typed slots for its dynamic parts (see prompt-template.ts). */
  template: z.string().max(256 * 1024),
  /** The tool manifest the agent is configured with (names, descriptions, schemas). */
  tools: z.array(z.json()).max(1000).default([]),
  /** Generation parameters (temperature, max tokens, …). */
  params: z.record(z.string(), z.json()).default({}),
});
export type PromptConfig = z.infer<typeof promptConfigSchema>;

/** Parses "PROVIDER/NAME@VERSION" (the CLI form of a model binding). */
export function parseModelSpec(spec: string): ModelBinding {
  const match = /^([^/@\s]+)\/([^@\s]+)@(\S+)$/.exec(spec);
  if (match === null) {
    throw new ZtError(
      'invalid-argument',
      'model must be PROVIDER/NAME@VERSION, e.g. openai/gpt-4o@2024-08-06',
    );
  }
  const [, provider = '', name = '', version = ''] = match;
  return { provider, name, version };
}

/** Validates a prompt configuration, including its template's slots. */
export function parsePromptConfig(input: unknown): PromptConfig {
  const result = promptConfigSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ZtError(
      'invalid-argument',
      `prompt configuration: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  compileTemplate(result.data.template);
  return result.data;
}

export function parseModelBinding(input: unknown): ModelBinding {
  const result = modelBindingSchema.safeParse(input);
  if (!result.success)
    throw new ZtError('invalid-argument', 'model must be {provider, name, version, digest?}');
  return result.data;
}

/** The certificate's prompt digest: SHA-256 of the canonical {template, tools, params}. */
export function promptDigest(prompt: PromptConfig): string {
  return canonicalDigest({ template: prompt.template, tools: prompt.tools, params: prompt.params });
}

/** "provider/name@version" for display. */
export function modelSpec(model: ModelBinding): string {
  return `${model.provider}/${model.name}@${model.version}`;
}
