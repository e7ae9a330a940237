// The parts of a Cedar schema the fast path needs: attribute types (to parse and check entity and
// context JSON as Cedar does with a schema), entity hierarchies allowed by `in`, enumerated ids, and
// the action hierarchy. Hand-written (no maintained JS Cedar evaluator exists on npm); it reads the
// official parser's JSON with resolved type names, so name resolution stays Cedar's own.
//
// Anything this module does not understand makes the whole schema unsupported (compile fails and
// the official engine decides). Types it understands but does not evaluate (extension types, records
// with additional attributes) become `unsupported`: a value of that type sends the request to wasm.
import { isActionType } from './names.js';
import { EntityUid } from './values.js';
import { BoundedMemo } from './memo.js';
import { schemaToResolvedJson } from './official-parser.js';

export type SchemaType =
  | { readonly kind: 'bool' }
  | { readonly kind: 'long' }
  | { readonly kind: 'string' }
  | { readonly kind: 'set'; readonly element: SchemaType }
  | RecordType
  | EntityType
  | { readonly kind: 'unsupported' };

export interface RecordType {
  readonly kind: 'record';
  readonly attributes: ReadonlyMap<string, AttributeType>;
  readonly required: number;
}

export interface EntityType {
  readonly kind: 'entity';
  readonly name: string;
  /** Set for enumerated entity types: the only ids an entity of this type may have. */
  readonly enumIds: ReadonlySet<string> | undefined;
}

export interface AttributeType {
  readonly type: SchemaType;
  readonly required: boolean;
}

export interface EntityTypeSchema {
  readonly shape: RecordType | { readonly kind: 'unsupported' };
  readonly memberOfTypes: ReadonlySet<string>;
  /** Undefined when the type declares no tags (then an entity may carry none). */
  readonly tags: SchemaType | undefined;
  readonly enumIds: ReadonlySet<string> | undefined;
}

export interface ActionSchema {
  readonly uid: EntityUid;
  /** Keys of every action this one is transitively a member of. */
  readonly ancestors: ReadonlySet<string>;
  readonly principalTypes: ReadonlySet<string>;
  readonly resourceTypes: ReadonlySet<string>;
  readonly context: RecordType | { readonly kind: 'unsupported' };
}

export interface FastSchema {
  readonly entityTypes: ReadonlyMap<string, EntityTypeSchema>;
  /** By `EntityUid.key`. */
  readonly actions: ReadonlyMap<string, ActionSchema>;
}

const BOOL = { kind: 'bool' } as const;
const LONG = { kind: 'long' } as const;
const STRING = { kind: 'string' } as const;
const UNSUPPORTED_TYPE = { kind: 'unsupported' } as const;
const EMPTY_RECORD: RecordType = { kind: 'record', attributes: new Map(), required: 0 };

const BUILTINS: ReadonlyMap<string, SchemaType> = new Map<string, SchemaType>([
  ['Bool', BOOL],
  ['Boolean', BOOL],
  ['Long', LONG],
  ['String', STRING],
  ['ipaddr', UNSUPPORTED_TYPE],
  ['decimal', UNSUPPORTED_TYPE],
  ['datetime', UNSUPPORTED_TYPE],
  ['duration', UNSUPPORTED_TYPE],
]);
const CEDAR_PREFIX = '__cedar::';
/** Names a common type may not take without making resolution ambiguous for this module. */
const STRUCTURAL = new Set(['Set', 'Record', 'Entity', 'Extension', 'EntityOrCommon']);
const MAX_TYPE_DEPTH = 64;

/** Thrown while reading a schema this module does not understand. */
class NotUnderstood extends Error {}
const NOT_UNDERSTOOD = new NotUnderstood('schema not understood');

/** Schema models by text (null: parsed, but not usable by the fast path). */
const compiled = new BoundedMemo<FastSchema | null>(16);

/** The schema model of Cedar schema text, or undefined when the fast path cannot use it. */
export function compileSchema(text: string): FastSchema | undefined {
  const remembered = compiled.get(text);
  if (remembered !== undefined) return remembered ?? undefined;
  const json = schemaToResolvedJson(text);
  // A text the official parser rejects (or crashed on) is not remembered.
  if (json === undefined) return undefined;
  let schema: FastSchema | null;
  try {
    schema = readSchema(json);
  } catch (error) {
    if (!(error instanceof NotUnderstood)) throw error;
    schema = null;
  }
  compiled.set(text, schema);
  return schema ?? undefined;
}

interface Namespace {
  readonly name: string;
  readonly commonTypes: Record<string, unknown>;
  readonly entityTypes: Record<string, unknown>;
  readonly actions: Record<string, unknown>;
}

function readSchema(json: unknown): FastSchema {
  const namespaces = Object.entries(object(json)).map(([name, body]) => readNamespace(name, body));
  const common = new Map<string, unknown>();
  const entityNames = new Map<string, Record<string, unknown>>();
  for (const ns of namespaces) {
    for (const [name, definition] of Object.entries(ns.commonTypes)) {
      const full = qualify(ns.name, name);
      if (BUILTINS.has(full) || STRUCTURAL.has(full) || full.startsWith('__cedar')) {
        throw NOT_UNDERSTOOD;
      }
      common.set(full, definition);
    }
    for (const [name, definition] of Object.entries(ns.entityTypes)) {
      entityNames.set(qualify(ns.name, name), object(definition));
    }
  }
  const enumIds = new Map<string, ReadonlySet<string> | undefined>();
  for (const [name, definition] of entityNames) enumIds.set(name, readEnum(definition['enum']));
  const resolver = new TypeResolver(common, enumIds);

  const entityTypes = new Map<string, EntityTypeSchema>();
  for (const [name, definition] of entityNames) {
    entityTypes.set(name, readEntityType(definition, resolver, enumIds.get(name)));
  }
  return { entityTypes, actions: readActions(namespaces, resolver) };
}

function readNamespace(name: string, body: unknown): Namespace {
  const ns = object(body);
  onlyKeys(ns, ['commonTypes', 'entityTypes', 'actions', 'annotations']);
  return {
    name,
    commonTypes: ns['commonTypes'] === undefined ? {} : object(ns['commonTypes']),
    entityTypes: ns['entityTypes'] === undefined ? {} : object(ns['entityTypes']),
    actions: ns['actions'] === undefined ? {} : object(ns['actions']),
  };
}

function readEnum(value: unknown): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((id) => typeof id === 'string')) throw NOT_UNDERSTOOD;
  return new Set(value as string[]);
}

function readEntityType(
  definition: Record<string, unknown>,
  resolver: TypeResolver,
  enumIds: ReadonlySet<string> | undefined,
): EntityTypeSchema {
  onlyKeys(definition, ['memberOfTypes', 'shape', 'tags', 'enum', 'annotations']);
  const shape =
    definition['shape'] === undefined ? EMPTY_RECORD : resolver.resolve(definition['shape']);
  if (shape.kind !== 'record' && shape.kind !== 'unsupported') throw NOT_UNDERSTOOD;
  const tags = definition['tags'] === undefined ? undefined : resolver.resolve(definition['tags']);
  return { shape, memberOfTypes: new Set(strings(definition['memberOfTypes'])), tags, enumIds };
}

function readActions(
  namespaces: readonly Namespace[],
  resolver: TypeResolver,
): Map<string, ActionSchema> {
  const parents = new Map<string, EntityUid[]>();
  const partial = new Map<string, Omit<ActionSchema, 'ancestors'>>();
  for (const ns of namespaces) {
    const actionType = qualify(ns.name, 'Action');
    for (const [id, body] of Object.entries(ns.actions)) {
      const action = object(body);
      onlyKeys(action, ['appliesTo', 'memberOf', 'annotations']);
      const uid = new EntityUid(actionType, id);
      parents.set(uid.key, readMemberOf(action['memberOf'], actionType));
      partial.set(uid.key, { uid, ...readAppliesTo(action['appliesTo'], resolver) });
    }
  }
  const actions = new Map<string, ActionSchema>();
  for (const [key, action] of partial) {
    actions.set(key, { ...action, ancestors: actionAncestors(key, parents) });
  }
  return actions;
}

function readMemberOf(value: unknown, actionType: string): EntityUid[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw NOT_UNDERSTOOD;
  return value.map((entry: unknown) => {
    const ref = object(entry);
    onlyKeys(ref, ['id', 'type']);
    const type = ref['type'] ?? actionType;
    if (typeof ref['id'] !== 'string' || typeof type !== 'string' || !isActionType(type)) {
      throw NOT_UNDERSTOOD;
    }
    return new EntityUid(type, ref['id']);
  });
}

function readAppliesTo(
  value: unknown,
  resolver: TypeResolver,
): Omit<ActionSchema, 'ancestors' | 'uid'> {
  const appliesTo = value === undefined ? {} : object(value);
  onlyKeys(appliesTo, ['principalTypes', 'resourceTypes', 'context']);
  const context =
    appliesTo['context'] === undefined ? EMPTY_RECORD : resolver.resolve(appliesTo['context']);
  if (context.kind !== 'record' && context.kind !== 'unsupported') throw NOT_UNDERSTOOD;
  return {
    principalTypes: new Set(strings(appliesTo['principalTypes'])),
    resourceTypes: new Set(strings(appliesTo['resourceTypes'])),
    context,
  };
}

/** Transitive `memberOf` closure; an undeclared parent or a cycle is not a valid schema. */
function actionAncestors(start: string, parents: ReadonlyMap<string, EntityUid[]>): Set<string> {
  const found = new Set<string>();
  const stack = [...(parents.get(start) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as EntityUid;
    if (next.key === start) throw NOT_UNDERSTOOD;
    if (found.has(next.key)) continue;
    const above = parents.get(next.key);
    if (above === undefined) throw NOT_UNDERSTOOD;
    found.add(next.key);
    stack.push(...above);
  }
  return found;
}

/** Resolves the JSON type forms of the official "resolved types" output. */
class TypeResolver {
  constructor(
    private readonly common: ReadonlyMap<string, unknown>,
    private readonly entities: ReadonlyMap<string, ReadonlySet<string> | undefined>,
  ) {}

  resolve(json: unknown, depth = 0): SchemaType {
    if (depth > MAX_TYPE_DEPTH) throw NOT_UNDERSTOOD;
    const type = object(json);
    onlyKeys(type, [
      'type',
      'element',
      'attributes',
      'name',
      'required',
      'additionalAttributes',
      'annotations',
    ]);
    const kind = type['type'];
    if (typeof kind !== 'string') throw NOT_UNDERSTOOD;
    switch (kind) {
      case 'Set':
        return { kind: 'set', element: this.resolve(type['element'], depth + 1) };
      case 'Record':
        return this.#record(type, depth);
      case 'Entity':
        return this.#entity(type['name']);
      case 'Extension':
        return UNSUPPORTED_TYPE;
      case 'EntityOrCommon':
        throw NOT_UNDERSTOOD;
    }
    const builtin = BUILTINS.get(
      kind.startsWith(CEDAR_PREFIX) ? kind.slice(CEDAR_PREFIX.length) : kind,
    );
    if (builtin !== undefined) return builtin;
    const definition = this.common.get(kind);
    if (definition === undefined) throw NOT_UNDERSTOOD;
    return this.resolve(definition, depth + 1);
  }

  #record(type: Record<string, unknown>, depth: number): SchemaType {
    const additional = type['additionalAttributes'];
    if (additional !== undefined && additional !== false) return UNSUPPORTED_TYPE;
    const attributes = new Map<string, AttributeType>();
    let required = 0;
    for (const [name, attribute] of Object.entries(object(type['attributes'] ?? {}))) {
      const flag = object(attribute)['required'];
      if (flag !== undefined && typeof flag !== 'boolean') throw NOT_UNDERSTOOD;
      const isRequired = flag !== false;
      if (isRequired) required++;
      attributes.set(name, { type: this.resolve(attribute, depth + 1), required: isRequired });
    }
    return { kind: 'record', attributes, required };
  }

  #entity(name: unknown): SchemaType {
    if (typeof name !== 'string') throw NOT_UNDERSTOOD;
    // Not a declared entity type (an action type, say): values of it are left to the engine.
    if (!this.entities.has(name)) return UNSUPPORTED_TYPE;
    return { kind: 'entity', name, enumIds: this.entities.get(name) };
  }
}

function qualify(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}::${name}`;
}

function object(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw NOT_UNDERSTOOD;
  return value as Record<string, unknown>;
}

function strings(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) throw NOT_UNDERSTOOD;
  return value as string[];
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw NOT_UNDERSTOOD;
}
