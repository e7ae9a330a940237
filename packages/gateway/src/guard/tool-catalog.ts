// What the guard knows about each tool: which argument is SQL, a URL, a path or a command, where its
// output goes, and whether it is privileged or a honeytoken. From configuration and the tool's JSON
// Schema; a tool nobody described is treated as an external sink with every string scanned.
import type { ArgKind } from '../detectors/detector.js';
import type { SqlDialect } from '../detectors/sql.js';

export interface ToolConfig {
  /** `server/tool`. */
  readonly name: string;
  /** Argument path (`query`, `options.url`) → kind. Wins over anything inferred. */
  readonly argKinds?: Readonly<Record<string, ArgKind>> | undefined;
  /** Where the tool sends data: `internal` (our own systems) or `external` (default). */
  readonly sink?: 'internal' | 'external' | undefined;
  /** Acts with elevated effect (payments, deployments, shell…): untrusted content may not steer it. */
  readonly privileged?: boolean | undefined;
  /** A decoy: any call is an intrusion signal. */
  readonly honeytoken?: boolean | undefined;
  /** Labels given to every result of the tool (e.g. `confidential`, `untrusted`). */
  readonly resultLabels?: readonly string[] | undefined;
  /** The SQL dialect its database speaks; without it every supported dialect is tried (slower). */
  readonly sqlDialect?: SqlDialect | undefined;
  /** The tool's input JSON Schema, as its server advertises it. */
  readonly inputSchema?: unknown | undefined;
}

const NAME_KINDS: ReadonlyArray<readonly [RegExp, ArgKind]> = [
  [/^(sql|query|statement|sql_query)$/i, 'sql'],
  [/^(url|uri|href|endpoint|link|webhook|webhook_url)$/i, 'url'],
  [/^(path|file|filename|file_path|filepath|dir|directory|source|destination)$/i, 'path'],
  [/^(command|cmd|script|shell|bash)$/i, 'command'],
];
const FORMAT_KINDS: Readonly<Record<string, ArgKind>> = {
  uri: 'url',
  url: 'url',
  iri: 'url',
  'uri-reference': 'url',
};
const MAX_SCHEMA_PROPERTIES = 500;

/** The kinds of a tool's arguments: configured ones, then what its JSON Schema says. */
export function argumentKinds(tool: ToolConfig | undefined): Record<string, ArgKind> {
  const inferred = tool?.inputSchema === undefined ? {} : kindsFromSchema(tool.inputSchema);
  return { ...inferred, ...(tool?.argKinds ?? {}) };
}

function kindsFromSchema(
  schema: unknown,
  prefix = '',
  budget = { left: MAX_SCHEMA_PROPERTIES },
): Record<string, ArgKind> {
  const kinds: Record<string, ArgKind> = {};
  const properties = (schema as { properties?: unknown } | null)?.properties;
  if (typeof properties !== 'object' || properties === null) return kinds;
  for (const [name, property] of Object.entries(properties as Record<string, unknown>)) {
    if ((budget.left -= 1) < 0) break;
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const p = property as { type?: unknown; format?: unknown; 'x-zt4ai-kind'?: unknown } | null;
    const declared = p?.['x-zt4ai-kind'];
    const kind =
      typeof declared === 'string' && ['sql', 'url', 'path', 'command'].includes(declared)
        ? (declared as ArgKind)
        : typeof p?.format === 'string'
          ? FORMAT_KINDS[p.format]
          : p?.type === 'string'
            ? NAME_KINDS.find(([pattern]) => pattern.test(name))?.[1]
            : undefined;
    if (kind !== undefined) kinds[path] = kind;
    if (p?.type === 'object') Object.assign(kinds, kindsFromSchema(p, path, budget));
  }
  return kinds;
}
