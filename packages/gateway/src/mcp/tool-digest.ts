// What a tool pin commits to: the digest of a tool definition (server, name, title, description,
// inputSchema, outputSchema, annotations) as SHA-256 over its RFC 8785 canonical JSON, written `sha256:<hex>` as
// OCI digests are; and the keys that name a tool (`server/name`) and group look-alike names.
import { createHash } from 'node:crypto';
import { skeleton } from '../detectors/confusable.js';
import { ZtError } from '../errors.js';
import { canonicalJson } from '../identity/canonical-digest.js';

/** A tool as an upstream MCP server offers it (tools/list), with the server it came from. */
export interface ToolDefinition {
  server: string;
  name: string;
  title?: string;
  description?: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
  annotations?: unknown;
}

/** A checked definition with its digest and canonical text. */
export interface PinnedDefinition {
  readonly server: string;
  readonly name: string;
  /** `server/name`. */
  readonly tool: string;
  readonly digest: string;
  /** RFC 8785 canonical JSON of the definition: exactly what `digest` hashes. */
  readonly canonical: string;
  /** Names that look alike share this key (shadowing). */
  readonly shadowKey: string;
  readonly definition: ToolDefinition;
}

/** Upper bound of a definition's canonical JSON: an upstream cannot make us hash or store more. */
export const MAX_DEFINITION_BYTES = 1024 * 1024;
const MAX_NESTING = 64;
const MAX_NAME_LENGTH = 128;
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Line breaks and controls never belong in a tool name; other odd characters are flagged instead. */
const BAD_NAME_CHAR = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/** `sha256:<hex>` of the canonical JSON text. */
export function digestOf(canonical: string): string {
  return `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

/**
 * Checks an untrusted definition and computes its digest. Throws `tool-definition-invalid` for a
 * bad server or tool name, a non-JSON or too deeply nested value, or one over MAX_DEFINITION_BYTES.
 */
export function pinDefinition(input: ToolDefinition): PinnedDefinition {
  const definition = checkedDefinition(input);
  let canonical: string;
  try {
    canonical = canonicalJson(definition);
  } catch (cause) {
    throw new ZtError('tool-definition-invalid', 'a tool definition must be JSON', { cause });
  }
  if (Buffer.byteLength(canonical, 'utf8') > MAX_DEFINITION_BYTES) {
    throw new ZtError('tool-definition-invalid', 'a tool definition is limited to 1 MiB');
  }
  return {
    server: definition.server,
    name: definition.name,
    tool: toolKey(definition.server, definition.name),
    digest: digestOf(canonical),
    canonical,
    shadowKey: shadowKey(definition.name),
    definition,
  };
}

/** A copy holding only the hashed members, with absent ones left out (not `null`). */
function checkedDefinition(input: ToolDefinition): ToolDefinition {
  const { server, name, title, description, inputSchema, outputSchema, annotations } = input;
  checkServerName(server);
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > MAX_NAME_LENGTH ||
    BAD_NAME_CHAR.test(name)
  ) {
    throw new ZtError(
      'tool-definition-invalid',
      'a tool name must be 1 to 128 printable characters',
    );
  }
  if (description !== undefined && typeof description !== 'string')
    throw new ZtError('tool-definition-invalid', 'a tool description must be a string');
  if (title !== undefined && typeof title !== 'string')
    throw new ZtError('tool-definition-invalid', 'a tool title must be a string');
  if (
    nesting(inputSchema) > MAX_NESTING ||
    nesting(outputSchema) > MAX_NESTING ||
    nesting(annotations) > MAX_NESTING
  )
    throw new ZtError('tool-definition-invalid', 'a tool definition is nested too deeply');
  return {
    server,
    name,
    ...(title === undefined ? {} : { title }),
    ...(description === undefined ? {} : { description }),
    ...(inputSchema === undefined ? {} : { inputSchema }),
    ...(outputSchema === undefined ? {} : { outputSchema }),
    ...(annotations === undefined ? {} : { annotations }),
  };
}

function checkServerName(server: unknown): asserts server is string {
  if (typeof server !== 'string' || !SERVER_NAME.test(server)) {
    throw new ZtError(
      'tool-definition-invalid',
      'a server name must be 1 to 64 letters, digits, "_", "." or "-"',
    );
  }
}

/** Nesting depth of a JSON value, counted without recursion (a hostile value cannot overflow it). */
function nesting(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, depth);
    if (depth > MAX_NESTING) return depth;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** `server/name`: the server part never contains `/`, so the first `/` splits the two. */
export function toolKey(server: string, name: string): string {
  return `${server}/${name}`;
}

/** Splits `server/name`; throws `invalid-argument` when it is not one. */
export function parseToolKey(tool: string): { server: string; name: string } {
  const slash = tool.indexOf('/');
  const server = tool.slice(0, slash);
  const name = tool.slice(slash + 1);
  if (slash < 1 || !SERVER_NAME.test(server) || name.length === 0 || name.length > MAX_NAME_LENGTH)
    throw new ZtError('invalid-argument', 'a tool is named "server/name"');
  return { server, name };
}

/**
 * The shadowing key of a tool name: its look-alike skeleton (UTS #39 subset: NFKC, lower case,
 * invisible characters dropped, homoglyphs mapped to ASCII) without `_`, `-`, `.` and spaces, so
 * `read_file`, `Read-File` and Cyrillic `reаd_file` all collide.
 */
export function shadowKey(name: string): string {
  return skeleton(name).replace(/[\s_.-]+/gu, '');
}
