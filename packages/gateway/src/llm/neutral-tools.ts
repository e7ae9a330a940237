// Tool definitions in the provider-neutral form a prompt configuration's `tools` uses (DESIGN §4),
// whatever API they came in: `{name, description?, parameters?, strict?}`, the name in the agent's
// tool namespace (tool-names.ts). Definitions of other kinds (hosted tools, MCP servers) are
// compared as the request gives them.
import type { JsonRecord } from './json-values.js';
import { refuse } from './request-fields.js';
import { toolName } from './tool-names.js';

/** `{name, description?, parameters?, strict?}` with the name in the agent's tool namespace. */
export function neutralTool(
  definition: JsonRecord,
  schemaKey: string,
  namespace: string,
): JsonRecord {
  if (typeof definition.name !== 'string') refuse('every tool needs a "name"');
  const neutral: JsonRecord = { name: toolName(definition.name, namespace) };
  if (definition.description !== undefined) neutral.description = definition.description;
  if (definition[schemaKey] !== undefined)
    neutral[schemaKey === 'input_schema' ? 'parameters' : schemaKey] = definition[schemaKey];
  // Strict schema adherence only narrows what the model may write: compared when it is asked for.
  if (definition.strict === true) neutral.strict = true;
  return neutral;
}

/** The tools a request offers, or undefined when it offers none. */
export function offered(tools: unknown[]): unknown[] | undefined {
  return tools.length === 0 ? undefined : tools;
}
