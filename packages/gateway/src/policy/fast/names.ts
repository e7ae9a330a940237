// Which entity type names the fast path accepts from request and entity JSON. Hand-written for the
// fast path (no maintained JS Cedar evaluator exists on npm); the official engine is the reference.
//
// Cedar parses a type name as `Ident ('::' Ident)*` and rejects reserved words and `__cedar`.
// Accepting a name Cedar would reject would answer a request Cedar refuses, so this grammar is
// deliberately narrow (ASCII identifiers, no whitespace): anything else goes to the official engine.

const IDENTIFIER = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const RESERVED = new Set([
  'true',
  'false',
  'if',
  'then',
  'else',
  'in',
  'is',
  'like',
  'has',
  '__cedar',
]);
const MAX_CACHED = 4096;
const accepted = new Set<string>();

/** True when Cedar certainly accepts `name` as an entity type name. */
export function isEntityTypeName(name: string): boolean {
  if (accepted.has(name)) return true;
  if (name.length > 1024) return false;
  for (const part of name.split('::')) {
    if (!IDENTIFIER.test(part) || RESERVED.has(part)) return false;
  }
  if (accepted.size < MAX_CACHED) accepted.add(name);
  return true;
}

/** Cedar's action entity types: `Action` and `Namespace::Action`. */
export function isActionType(name: string): boolean {
  return name === 'Action' || name.endsWith('::Action');
}
