// Which model a request names, in the terms of the certificate it carries (DESIGN §4: the model
// binding). Providers name a pinned snapshot on the wire either by the snapshot id itself or by
// name and version joined — OpenAI and Anthropic with "-" (gpt-4o-2024-08-06,
// claude-sonnet-4-5-20250929), Ollama with ":" (llama3.1:8b). Anything else is reported as the
// model it is, so that checkBinding names the field that differs: a moving alias ("gpt-4o") or
// another snapshot is drift, never a match.
import type { AgentCertificateClaims } from '@zt4ai/verify';
import type { ObservedBinding } from '../identity/index.js';

type CertifiedModel = AgentCertificateClaims['model'];

/** The model binding a request shows, for the guard's binding check. */
export function observedModel(
  wireModel: string,
  certified: CertifiedModel,
): NonNullable<ObservedBinding['model']> {
  const { provider, name, version } = certified;
  if (
    wireModel === version ||
    wireModel === `${name}-${version}` ||
    wireModel === `${name}:${version}`
  )
    return { provider, name, version };
  for (const separator of ['-', ':']) {
    const rest = wireModel.startsWith(name + separator) ? wireModel.slice(name.length + 1) : '';
    // Snapshots and tags start with a digit (2024-08-06, 20250929, 8b); "gpt-4o-mini" is another model.
    if (/^[0-9]/.test(rest)) return { provider, name, version: rest };
  }
  // A bare name is a moving alias: it pins no version.
  if (wireModel === name) return { provider, name, version: '' };
  return { provider, name: wireModel, version: wireModel };
}

/**
 * The grant resource of a model call (`llm/complete:PROVIDER/NAME`): provider and model name of
 * the certificate, with characters grant patterns cannot hold replaced by "_". The version needs
 * no place here: the binding check pins it.
 */
export function modelResource(certified: CertifiedModel): string {
  const safe = (text: string): string => text.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${safe(certified.provider)}/${safe(certified.name)}`;
}
