// The entity store of one request for the fast path: entities parsed from Cedar entity JSON (with
// the schema's conformance rules when there is one) and the transitive ancestor closure that `in`
// needs. Hand-written (no maintained JS Cedar evaluator exists on npm); the official engine stays
// the reference, and every input Cedar would reject — duplicates, cycles, non-conforming entities,
// action entities that differ from the schema — is left to it (UNSUPPORTED).
import type { CedarJson } from '../cedar-values.js';
import { isActionType } from './names.js';
import { conformRecord, conformValue, entityRef, plainRecord } from './parse-value.js';
import type { FastSchema, SchemaType } from './schema.js';
import { UNSUPPORTED, isWellFormed } from './values.js';
import type { CedarRecord, EntityUid } from './values.js';

export interface StoredEntity {
  readonly uid: EntityUid;
  readonly attrs: CedarRecord;
  readonly parents: readonly EntityUid[];
  readonly tags: CedarRecord | undefined;
  /** Keys of all ancestors, computed on first use. */
  ancestors: Set<string> | undefined;
}

const ENTITY_KEYS = new Set(['uid', 'attrs', 'parents', 'tags']);

export class EntityStore {
  readonly #entities: Map<string, StoredEntity>;
  readonly #schema: FastSchema | undefined;

  private constructor(entities: Map<string, StoredEntity>, schema: FastSchema | undefined) {
    this.#entities = entities;
    this.#schema = schema;
  }

  /**
   * Parses Cedar entity JSON. Throws UNSUPPORTED for anything Cedar would reject or might read
   * differently. With a schema, action entities come from the schema; given ones must match it.
   */
  static build(json: readonly CedarJson[], schema: FastSchema | undefined): EntityStore {
    const entities = new Map<string, StoredEntity>();
    for (const item of json) {
      const entity = parseEntity(item, schema);
      if (entities.has(entity.uid.key)) throw UNSUPPORTED;
      entities.set(entity.uid.key, entity);
    }
    const store = new EntityStore(entities, schema);
    for (const entity of entities.values()) {
      // Cedar refuses a hierarchy with a cycle (an entity among its own ancestors).
      if (store.#ancestors(entity).has(entity.uid.key)) throw UNSUPPORTED;
      if (schema !== undefined && isActionType(entity.uid.type)) store.#checkAction(entity, schema);
    }
    return store;
  }

  /** The entity, or undefined when the request does not carry it. */
  get(uid: EntityUid): StoredEntity | undefined {
    return this.#entities.get(uid.key);
  }

  /** Cedar `a in b` for two entities: reflexive, transitive over the hierarchy. */
  isIn(a: EntityUid, b: EntityUid): boolean {
    if (a.key === b.key) return true;
    const entity = this.#entities.get(a.key);
    if (entity !== undefined) return this.#ancestors(entity).has(b.key);
    return this.#schema?.actions.get(a.key)?.ancestors.has(b.key) ?? false;
  }

  #ancestors(entity: StoredEntity): Set<string> {
    if (entity.ancestors !== undefined) return entity.ancestors;
    const found = new Set<string>();
    const stack = [...entity.parents];
    while (stack.length > 0) {
      const next = stack.pop() as EntityUid;
      if (found.has(next.key)) continue;
      found.add(next.key);
      const stored = this.#entities.get(next.key);
      if (stored === undefined) continue;
      if (stored.ancestors !== undefined) for (const key of stored.ancestors) found.add(key);
      else stack.push(...stored.parents);
    }
    entity.ancestors = found;
    return found;
  }

  /**
   * A given action entity must equal the schema's: no attributes, no tags, no repeated parent, and
   * its ancestors within the given entities exactly the schema's (Cedar compares after closure).
   */
  #checkAction(entity: StoredEntity, schema: FastSchema): void {
    const declared = schema.actions.get(entity.uid.key);
    if (declared === undefined || entity.tags !== undefined) throw UNSUPPORTED;
    if (Object.keys(entity.attrs).length > 0) throw UNSUPPORTED;
    if (new Set(entity.parents.map((p) => p.key)).size !== entity.parents.length) throw UNSUPPORTED;
    const ancestors = this.#ancestors(entity);
    if (ancestors.size !== declared.ancestors.size) throw UNSUPPORTED;
    for (const key of ancestors) if (!declared.ancestors.has(key)) throw UNSUPPORTED;
  }
}

function parseEntity(json: CedarJson, schema: FastSchema | undefined): StoredEntity {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw UNSUPPORTED;
  for (const key of Object.keys(json)) if (!ENTITY_KEYS.has(key)) throw UNSUPPORTED;
  const { uid: uidJson, attrs: attrsJson, parents: parentsJson, tags: tagsJson } = json;
  if (attrsJson === undefined || !Array.isArray(parentsJson)) throw UNSUPPORTED;
  const uid = entityRef(uidJson);
  const parents = parentsJson.map(entityRef);
  if (schema === undefined) {
    const tags = tagsJson === undefined ? undefined : plainRecord(tagsJson);
    return { uid, attrs: plainRecord(attrsJson), parents, tags, ancestors: undefined };
  }
  if (isActionType(uid.type)) {
    // Compared with the schema's declaration once the store is built.
    const tags = tagsJson === undefined ? undefined : plainRecord(tagsJson);
    return { uid, attrs: plainRecord(attrsJson), parents, tags, ancestors: undefined };
  }
  const type = schema.entityTypes.get(uid.type);
  if (type === undefined) throw UNSUPPORTED;
  if (type.enumIds !== undefined && !type.enumIds.has(uid.id)) throw UNSUPPORTED;
  for (const parent of parents) {
    if (!type.memberOfTypes.has(parent.type)) throw UNSUPPORTED;
    const parentType = schema.entityTypes.get(parent.type);
    if (parentType === undefined) throw UNSUPPORTED;
    if (parentType.enumIds !== undefined && !parentType.enumIds.has(parent.id)) throw UNSUPPORTED;
  }
  return {
    uid,
    attrs: conformRecord(attrsJson, type.shape),
    parents,
    tags: conformTags(tagsJson, type.tags),
    ancestors: undefined,
  };
}

/** Tags of a declared entity type: none unless the schema declares a tag type. */
function conformTags(
  json: CedarJson | undefined,
  type: SchemaType | undefined,
): CedarRecord | undefined {
  if (json === undefined) return undefined;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw UNSUPPORTED;
  const keys = Object.keys(json);
  if (type === undefined) {
    if (keys.length > 0) throw UNSUPPORTED;
    return json as CedarRecord;
  }
  for (const key of keys) {
    if (!isWellFormed(key)) throw UNSUPPORTED;
    const value = conformValue(json[key], type);
    if (value !== json[key]) {
      Object.defineProperty(json, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
  }
  return json as CedarRecord;
}
