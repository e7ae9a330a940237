// The generation parameters a certificate's prompt binding covers (DESIGN §4: the prompt digest is
// over {template, tools, params}), under one name whatever the API calls them. A parameter the
// request does not carry is not compared (the provider's default applies); one equal to the API's
// documented default counts as not carried, so clients that spell defaults out are not drift.
import canonicalize from 'canonicalize';

/** Normalized names: every API's spelling is mapped to one of these by its adapter. */
export type BoundParam =
  | 'temperature'
  | 'top_p'
  | 'top_k'
  | 'frequency_penalty'
  | 'presence_penalty'
  | 'seed'
  | 'stop'
  | 'logit_bias'
  | 'reasoning_effort'
  | 'verbosity'
  | 'thinking'
  | 'tool_choice'
  | 'parallel_tool_calls'
  | 'response_format';

const canonicalJson = (value: unknown): string | undefined => canonicalize(value);

const DEFAULTS: Partial<Record<BoundParam, string | undefined>> = {
  temperature: canonicalJson(1),
  top_p: canonicalJson(1),
  frequency_penalty: canonicalJson(0),
  presence_penalty: canonicalJson(0),
  tool_choice: canonicalJson('auto'),
  parallel_tool_calls: canonicalJson(true),
  response_format: canonicalJson({ type: 'text' }),
};

/** The parameters to compare: those given, without the ones equal to their default. */
export function boundParams(values: Partial<Record<BoundParam, unknown>>): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue;
    const fallback = DEFAULTS[name as BoundParam];
    if (fallback !== undefined && canonicalJson(value) === fallback) continue;
    params[name] = value;
  }
  return params;
}
