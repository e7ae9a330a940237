// A pure-JS evaluation path for Cedar policy sets, answering exactly as the official engine
// (`CedarEngine`) or saying 'fallback'. Hand-written: no maintained JS Cedar evaluator exists on
// npm, and one wasm call costs ~150–300 µs, mostly serializing the request. The official engine
// stays the reference: differential tests hold this path to it on Cedar's own corpus and on random
// policies (test/cedar-fast-differential.test.ts).
import type { CedarDecision, CedarRequest } from '../cedar-engine.js';
import { toCedarJson } from '../cedar-values.js';
import type { CedarJson } from '../cedar-values.js';
import { compilePolicy } from './compile-policy.js';
import type { CompiledPolicy, Environment } from './compile-policy.js';
import { EntityStore } from './entities.js';
import { isEntityTypeName } from './names.js';
import { conformRecord, plainRecord } from './parse-value.js';
import { compileSchema } from './schema.js';
import type { FastSchema } from './schema.js';
import { CedarEvaluationError, EntityUid, UNSUPPORTED, isWellFormed } from './values.js';

/** The answer when the fast path cannot decide this request: ask the official engine. */
export type Fallback = 'fallback';

export class FastPolicySet {
  readonly #policies: readonly CompiledPolicy[];
  readonly #schema: FastSchema | undefined;

  private constructor(policies: readonly CompiledPolicy[], schema: FastSchema | undefined) {
    this.#policies = policies;
    this.#schema = schema;
  }

  /**
   * Compiles the policies (id → Cedar text of one static policy) once, with the official parser.
   * Returns undefined when any policy or the schema uses something the fast path does not support;
   * the caller then uses the official engine for every request.
   *
   * @throws TypeError when `policies` is not a map of policy id to text (misuse).
   */
  static compile(
    policies: Record<string, string>,
    schemaText: string | undefined,
  ): FastPolicySet | undefined {
    if (typeof policies !== 'object' || policies === null) {
      throw new TypeError('policies must be a map of policy id to policy text');
    }
    if (schemaText !== undefined && typeof schemaText !== 'string') {
      throw new TypeError('schema must be Cedar schema text');
    }
    const entries = Object.entries(policies);
    for (const [id, text] of entries) {
      if (typeof text !== 'string') throw new TypeError(`policy ${id} must be Cedar text`);
    }
    try {
      const schema = schemaText === undefined ? undefined : compileSchema(schemaText);
      if (schemaText !== undefined && schema === undefined) return undefined;
      const compiled: CompiledPolicy[] = [];
      for (const [id, text] of entries) {
        const policy = compilePolicy(id, text);
        if (policy === undefined) return undefined;
        compiled.push(policy);
      }
      return new FastPolicySet(compiled, schema);
    } catch {
      // An input deep enough to exhaust the JS stack, say: not for the fast path.
      return undefined;
    }
  }

  /**
   * Decides one request with the same contract and result as `CedarEngine.isAuthorized`, or
   * returns 'fallback' when this request needs the official engine. MUST NOT throw; MUST NOT
   * answer anything but what the official engine (with this schema) would answer.
   */
  isAuthorized(request: CedarRequest, entities?: unknown): CedarDecision | Fallback {
    try {
      return this.#decide(request, entities);
    } catch {
      return 'fallback';
    }
  }

  #decide(request: CedarRequest, extraEntities: unknown): CedarDecision | Fallback {
    // Malformed input: the same checks, in the same order, with the same answers as CedarEngine.
    if (typeof request !== 'object' || request === null) return engineError('malformed request');
    const principal = toEntityRef(request.principal);
    const action = toEntityRef(request.action);
    const resource = toEntityRef(request.resource);
    if (principal === undefined || action === undefined || resource === undefined) {
      return engineError('malformed request: principal, action and resource need a type and an id');
    }
    const context = toCedarJson(request.context, 'context');
    if (!context.ok) return { decision: 'error', code: context.code, message: context.message };
    if (!isJsonObject(context.value)) {
      return engineError('malformed request: context must be an object');
    }
    let entities: CedarJson[] = [];
    if (extraEntities !== undefined) {
      const extra = toCedarJson(extraEntities, 'entities');
      if (!extra.ok) return { decision: 'error', code: extra.code, message: extra.message };
      if (!Array.isArray(extra.value)) return engineError('entities must be an array');
      entities = extra.value;
    }
    // From here on, anything the fast path cannot follow exactly throws UNSUPPORTED → 'fallback'.
    const env: Environment = {
      principal,
      action,
      resource,
      context: this.#context(principal, action, resource, context.value),
      entities: EntityStore.build(entities, this.#schema),
    };
    return this.#evaluate(env);
  }

  /**
   * The context as Cedar parses it. With a schema, the request must also be one Cedar accepts both
   * with and without request validation (declared action, principal and resource types it applies
   * to, valid enumerated ids, a context of the declared type); otherwise the answers could differ.
   */
  #context(
    principal: EntityUid,
    action: EntityUid,
    resource: EntityUid,
    context: CedarJson,
  ): Environment['context'] {
    const schema = this.#schema;
    if (schema === undefined) return plainRecord(context);
    const declared = schema.actions.get(action.key);
    if (declared === undefined) throw UNSUPPORTED;
    if (
      !declared.principalTypes.has(principal.type) ||
      !declared.resourceTypes.has(resource.type)
    ) {
      throw UNSUPPORTED;
    }
    for (const uid of [principal, resource]) {
      const enumIds = schema.entityTypes.get(uid.type)?.enumIds;
      if (enumIds !== undefined && !enumIds.has(uid.id)) throw UNSUPPORTED;
    }
    return conformRecord(context, declared.context);
  }

  /** Cedar's authorization: forbid overrides permit; no satisfied permit means deny. */
  #evaluate(env: Environment): CedarDecision | Fallback {
    const permits: string[] = [];
    const forbids: string[] = [];
    const errors: string[] = [];
    for (const policy of this.#policies) {
      let satisfied: boolean;
      try {
        satisfied = policy.satisfied(env);
      } catch (error) {
        if (!(error instanceof CedarEvaluationError)) return 'fallback';
        errors.push(policy.id);
        continue;
      }
      if (satisfied) (policy.effect === 'forbid' ? forbids : permits).push(policy.id);
    }
    if (forbids.length > 0) return { decision: 'deny', policyIds: forbids, errors };
    if (permits.length > 0) return { decision: 'allow', policyIds: permits, errors };
    return { decision: 'deny', policyIds: [], errors };
  }
}

function engineError(message: string): CedarDecision {
  return { decision: 'error', code: 'policy-engine-error', message };
}

/** As CedarEngine reads request entities; a name or id Cedar might read otherwise → UNSUPPORTED. */
function toEntityRef(value: unknown): EntityUid | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { type, id } = value as Record<string, unknown>;
  if (typeof type !== 'string' || typeof id !== 'string') return undefined;
  if (!isEntityTypeName(type) || !isWellFormed(id)) throw UNSUPPORTED;
  return new EntityUid(type, id);
}

function isJsonObject(value: CedarJson): value is { [key: string]: CedarJson } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
