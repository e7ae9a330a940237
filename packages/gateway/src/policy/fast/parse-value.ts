// Turns context and entity JSON (already copied and range-checked by `toCedarJson`) into Cedar
// runtime values, the way Cedar's JSON parser would: without a schema by the entity JSON format's
// own rules, with a schema by the declared type (which is also Cedar's conformance check).
// Hand-written for the fast path (no maintained JS Cedar evaluator exists on npm).
//
// Conservative by design: whenever Cedar might read the JSON differently, or would reject it, this
// throws UNSUPPORTED and the official engine decides (it then gives its own answer or error).
// The copy is ours, so values are converted in place: arrays and objects are reused and only entity
// references are replaced.
import type { CedarJson } from '../cedar-values.js';
import { isEntityTypeName } from './names.js';
import type { RecordType, SchemaType } from './schema.js';
import { EntityUid, UNSUPPORTED, isWellFormed } from './values.js';
import type { CedarRecord, CedarValue } from './values.js';

type JsonObject = { [key: string]: CedarJson };

/** A value without a schema: arrays are sets, objects records, `{"__entity": …}` an entity. */
export function plainValue(json: unknown): CedarValue {
  switch (typeof json) {
    case 'boolean':
      return json;
    case 'number':
      if (Number.isSafeInteger(json)) return json;
      throw UNSUPPORTED;
    case 'string':
      if (isWellFormed(json)) return json;
      throw UNSUPPORTED;
    case 'object':
      if (json === null) throw UNSUPPORTED;
      if (Array.isArray(json)) {
        for (let i = 0; i < json.length; i++) json[i] = plainValue(json[i]);
        return json as CedarValue[];
      }
      if (Object.hasOwn(json, '__entity')) return entityEscape(json as JsonObject);
      return plainRecord(json);
    default:
      throw UNSUPPORTED;
  }
}

/**
 * A record without a schema. Keys starting with `__` are Cedar's escapes (`__entity`, `__extn`,
 * the retired `__expr`): any other use of them is left to the engine.
 */
export function plainRecord(json: unknown): CedarRecord {
  const record = jsonObject(json);
  for (const key of Object.keys(record)) {
    if (key.startsWith('__') || !isWellFormed(key)) throw UNSUPPORTED;
    replace(record, key, plainValue(record[key]));
  }
  return record as CedarRecord;
}

/** An entity reference in `uid` or `parents`: `{type, id}` or `{"__entity": {type, id}}`. */
export function entityRef(json: unknown): EntityUid {
  const object = jsonObject(json);
  return Object.hasOwn(object, '__entity') ? entityEscape(object) : typeAndId(object);
}

function entityEscape(object: JsonObject): EntityUid {
  if (Object.keys(object).length !== 1) throw UNSUPPORTED;
  return typeAndId(jsonObject(object['__entity']));
}

/** Exactly `{type, id}` with a type name Cedar accepts (extra keys: left to the engine). */
function typeAndId(object: JsonObject): EntityUid {
  const { type, id } = object;
  if (typeof type !== 'string' || typeof id !== 'string' || Object.keys(object).length !== 2) {
    throw UNSUPPORTED;
  }
  if (!isEntityTypeName(type) || !isWellFormed(id)) throw UNSUPPORTED;
  return new EntityUid(type, id);
}

/** A value of a declared type, converted as Cedar's schema-based parser does; else UNSUPPORTED. */
export function conformValue(json: unknown, type: SchemaType): CedarValue {
  switch (type.kind) {
    case 'bool':
      if (typeof json === 'boolean') return json;
      throw UNSUPPORTED;
    case 'long':
      if (typeof json === 'number' && Number.isSafeInteger(json)) return json;
      throw UNSUPPORTED;
    case 'string':
      if (typeof json === 'string' && isWellFormed(json)) return json;
      throw UNSUPPORTED;
    case 'set': {
      if (!Array.isArray(json)) throw UNSUPPORTED;
      for (let i = 0; i < json.length; i++) json[i] = conformValue(json[i], type.element);
      return json as CedarValue[];
    }
    case 'record':
      return conformRecord(json, type);
    case 'entity': {
      const uid = entityRef(json);
      if (uid.type !== type.name) throw UNSUPPORTED;
      if (type.enumIds !== undefined && !type.enumIds.has(uid.id)) throw UNSUPPORTED;
      return uid;
    }
    case 'unsupported':
      throw UNSUPPORTED;
  }
}

/** A record of a declared record type: no undeclared attribute, every required one present. */
export function conformRecord(
  json: unknown,
  type: RecordType | { kind: 'unsupported' },
): CedarRecord {
  if (type.kind !== 'record') throw UNSUPPORTED;
  const record = jsonObject(json);
  let required = 0;
  for (const key of Object.keys(record)) {
    const attribute = type.attributes.get(key);
    if (attribute === undefined) throw UNSUPPORTED;
    if (attribute.required) required++;
    replace(record, key, conformValue(record[key], attribute.type));
  }
  if (required !== type.required) throw UNSUPPORTED;
  return record as CedarRecord;
}

function jsonObject(json: unknown): JsonObject {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw UNSUPPORTED;
  return json as JsonObject;
}

/** Sets an own data property (a plain assignment to `__proto__` would change the prototype). */
function replace(record: JsonObject, key: string, value: CedarValue): void {
  if (record[key] === value) return;
  Object.defineProperty(record, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
