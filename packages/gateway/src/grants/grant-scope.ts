// What a grant allows: `ACTION:RESOURCE` patterns (`tools/call:db/query`, `tools/call:fs/*`) with
// optional argument constraints in a JSON Schema subset. Patterns use `*` as "any characters"
// within the part it appears in; nothing else is special.
import { Ajv, type ValidateFunction } from 'ajv';
import { RE2JS } from 're2js';
import { z } from 'zod';
import { ZtError } from '../errors.js';

export interface GrantPermission {
  readonly action: string;
  readonly resource: string;
  /** Argument constraints: a JSON Schema using only the keywords in ALLOWED_KEYWORDS. */
  readonly args?: unknown;
}

const PATTERN = /^[A-Za-z0-9_./*-]{1,200}$/;

/** JSON Schema keywords a grant may use: enough to pin values, nothing that executes or fetches. */
const ALLOWED_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'description',
]);
const MAX_SCHEMA_DEPTH = 8;
/** Regular expressions in constraints run on every call's arguments: keep them short. */
const MAX_PATTERN_LENGTH = 200;

const permissionSchema = z.strictObject({
  action: z.string().regex(PATTERN, 'action pattern: letters, digits, _ . / - and *'),
  resource: z.string().regex(PATTERN, 'resource pattern: letters, digits, _ . / - and *'),
  args: z.record(z.string(), z.unknown()).optional(),
});

/** Parses "ACTION:RESOURCE" (CLI form). */
export function parsePermissionSpec(spec: string): GrantPermission {
  const colon = spec.indexOf(':');
  if (colon < 1)
    throw new ZtError(
      'grant-invalid',
      `"${spec}" must be ACTION:RESOURCE, e.g. tools/call:db/query`,
    );
  return parsePermission({ action: spec.slice(0, colon), resource: spec.slice(colon + 1) });
}

/** Validates one permission, including its argument constraints. */
export function parsePermission(input: unknown): GrantPermission {
  const result = permissionSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ZtError(
      'grant-invalid',
      `grant permission: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
    );
  }
  if (result.data.args !== undefined) compileConstraints(result.data.args);
  return result.data;
}

/** True when `pattern` (with `*` wildcards) matches `value` entirely. */
export function matchesPattern(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const parts = pattern.split('*');
  let at = 0;
  for (const [i, part] of parts.entries()) {
    if (i === 0) {
      if (!value.startsWith(part)) return false;
      at = part.length;
    } else if (i === parts.length - 1) {
      return value.length - part.length >= at && value.endsWith(part);
    } else {
      const found = value.indexOf(part, at);
      if (found === -1) return false;
      at = found + part.length;
    }
  }
  return true;
}

// Constraints come from requesters, agents included, and run on every call's arguments: their
// `pattern`s run on RE2 (linear time, no backtracking), never on the JavaScript regex engine.
const re2 = Object.assign((source: string, flags: string) => linearRegExp(source, flags), {
  code: 'linearRegExp',
});
const ajv = new Ajv({
  strict: true,
  allErrors: false,
  validateSchema: true,
  code: { regExp: re2 },
});
const compiled = new Map<string, ValidateFunction>();
const COMPILED_CACHE = 1000;

/** Ajv keys compiled patterns by `toString()`, so each must name its own source. */
function linearRegExp(
  source: string,
  flags: string,
): { test: (text: string) => boolean; toString: () => string } {
  const pattern = RE2JS.compile(source, flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0);
  return { test: (text) => pattern.matcher(text).find(), toString: () => `/${source}/${flags}` };
}

/** Compiles (and caches) argument constraints; throws grant-invalid on anything outside the subset. */
export function compileConstraints(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached !== undefined) return cached;
  checkKeywords(schema, 0);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(closed(schema as Record<string, unknown>));
  } catch (cause) {
    throw new ZtError('grant-invalid', 'grant argument constraints are not a valid JSON Schema', {
      cause,
    });
  }
  if (compiled.size >= COMPILED_CACHE) {
    const oldest = compiled.keys().next().value as string;
    ajv.removeSchema(JSON.parse(oldest) as object);
    compiled.delete(oldest);
  }
  compiled.set(key, validate);
  return validate;
}

/**
 * Constraints name what is allowed: every declared top-level argument is required and no other
 * argument may appear, unless the schema says otherwise. Without this, leaving out or renaming a
 * constrained argument would slip past it.
 */
function closed(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (properties === undefined) return schema;
  return { required: Object.keys(properties), additionalProperties: false, ...schema };
}

function checkKeywords(schema: unknown, depth: number): void {
  if (depth > MAX_SCHEMA_DEPTH)
    throw new ZtError('grant-invalid', 'grant argument constraints are nested too deeply');
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ZtError('grant-invalid', 'grant argument constraints must be a JSON Schema object');
  }
  for (const [keyword, value] of Object.entries(schema)) {
    if (!ALLOWED_KEYWORDS.has(keyword))
      throw new ZtError('grant-invalid', `grant argument constraints may not use "${keyword}"`);
    if (keyword === 'properties') {
      if (typeof value !== 'object' || value === null)
        throw new ZtError('grant-invalid', '"properties" must be an object');
      for (const sub of Object.values(value as Record<string, unknown>))
        checkKeywords(sub, depth + 1);
    }
    if (keyword === 'items') checkKeywords(value, depth + 1);
    if (keyword === 'pattern' && (typeof value !== 'string' || value.length > MAX_PATTERN_LENGTH)) {
      throw new ZtError(
        'grant-invalid',
        `"pattern" must be a string of at most ${MAX_PATTERN_LENGTH} characters`,
      );
    }
    if (keyword === 'additionalProperties' && typeof value !== 'boolean')
      checkKeywords(value, depth + 1);
  }
}

/** True when the permission covers this action, resource and arguments. */
export function permits(
  permission: GrantPermission,
  action: string,
  resource: string,
  args: unknown,
): boolean {
  if (!matchesPattern(permission.action, action) || !matchesPattern(permission.resource, resource))
    return false;
  return permission.args === undefined || compileConstraints(permission.args)(args) === true;
}
