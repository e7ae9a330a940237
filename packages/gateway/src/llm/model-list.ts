// `GET /v1/models` at the gateway: an agent may call exactly the model its certificate names, so
// that is the list — in the OpenAI shape, or the Anthropic one when the client sent
// `anthropic-version`. The id is the snapshot as providers spell it (see model-binding.ts).
import type { AgentCertificateClaims } from '@zt4ai/verify';
import type { LlmProviderConfig } from '../config/index.js';

type CertifiedModel = AgentCertificateClaims['model'];

/** The wire id of a certified model: the version when it already names the model, else name-version. */
export function wireModelId(model: CertifiedModel): string {
  return model.version.startsWith(model.name) ? model.version : `${model.name}-${model.version}`;
}

export function listModels(
  model: CertifiedModel,
  provider: LlmProviderConfig | undefined,
  anthropic: boolean,
): unknown {
  const id = wireModelId(model);
  const available = provider !== undefined;
  if (anthropic) {
    const data = available
      ? [
          {
            type: 'model',
            id,
            display_name: `${model.name} (${model.version})`,
            created_at: '1970-01-01T00:00:00Z',
          },
        ]
      : [];
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data[0]?.id ?? null };
  }
  return {
    object: 'list',
    data: available ? [{ id, object: 'model', created: 0, owned_by: provider.id }] : [],
  };
}
