// The Cedar engine wrapper: policy sets parsed and validated once, every failure is a decision 'error'.
import { randomUUID } from 'node:crypto';
import type {
  AuthorizationAnswer,
  DetailedError,
  PolicySet,
} from '@cedar-policy/cedar-wasm/nodejs';
import { ZtError } from '../errors.js';
import { toCedarJson } from './cedar-values.js';
import type { CedarJson } from './cedar-values.js';
import { wasmRuntime } from './cedar-runtime.js';
import type { CedarBindings, CedarRuntime } from './cedar-runtime.js';

/** A Cedar entity reference, `Type::"id"`. */
export interface EntityRef {
  type: string;
  id: string;
}

/** One authorization request. `context` is JSON (numbers may be `LosslessNumber`s or BigInts). */
export interface CedarRequest {
  principal: EntityRef;
  action: EntityRef;
  resource: EntityRef;
  context: Record<string, unknown>;
}

/**
 * The outcome of one request, as data. `allow`/`deny` carry the determining policies and the ids of
 * policies whose evaluation raised an error (Cedar skips those). `error` means "could not
 * evaluate": callers MUST treat it as deny.
 */
export type CedarDecision =
  | { decision: 'allow' | 'deny'; policyIds: string[]; errors: string[] }
  | { decision: 'error'; code: 'policy-engine-error' | 'value-out-of-range'; message: string };

export interface CedarLoadInput {
  /** Cedar policy text (ids `policy0`, `policy1`, … in source order) or a map id → one policy. */
  policies: string | Record<string, string>;
  /** Cedar schema text. When given, policies are validated (strict mode) and requests checked. */
  schema?: string;
  /** Cedar entity JSON (an array), parsed with `parseJsonLossless`; sent with every request. */
  entities?: unknown;
}

export interface CedarEngineOptions {
  /**
   * Default true. When false, a given schema still types entities and requests but the policies
   * are not validated against it. Exists for conformance runs (the Cedar integration corpus
   * evaluates policies that do not validate); production loading MUST leave it on.
   */
  validatePolicies?: boolean;
  /** Where the Cedar bindings come from (default: the official wasm build, process-wide). */
  runtime?: CedarRuntime;
  /**
   * Default true: each request is validated against the schema. A caller that builds every request
   * itself in the schema's exact shape may turn it off to save its cost; the schema still types
   * entities and defines action groups, and an ill-typed request still ends in an evaluation error.
   */
  validateRequests?: boolean;
}

/** A validator warning (for example an impossible policy); loading still succeeds. */
export interface CedarWarning {
  policyId: string;
  message: string;
}

const MAX_REPORTED_ERRORS = 5;
const MAX_MESSAGE_LENGTH = 1000;

/** What the engine keeps per instance of the runtime; shared with the finalizer, not the engine. */
interface Prepared {
  readonly runtime: CedarRuntime;
  readonly id: string;
  readonly hasSchema: boolean;
  readonly validateRequests: boolean;
  generation: number;
}

// Preparsed sets live inside the wasm instance; without this they would outlive their engine.
const release = new FinalizationRegistry<Prepared>((prepared) => {
  const { runtime } = prepared;
  if (runtime.generation !== prepared.generation) return;
  try {
    const bindings = runtime.bindings();
    bindings.preparsePolicySet(prepared.id, { staticPolicies: '' });
    if (prepared.hasSchema) bindings.preparseSchema(prepared.id, '');
  } catch {
    runtime.fault();
  }
});

/** Thrown inside the engine when a binding itself threw; the runtime has been faulted. */
class EngineFault extends Error {}

export class CedarEngine {
  /** The ids Cedar reports in `policyIds` and `errors`. */
  readonly policyIds: readonly string[];
  /** Validator warnings from load (empty without a schema). */
  readonly warnings: readonly CedarWarning[];

  readonly #policies: PolicySet;
  readonly #schema: string | undefined;
  readonly #entities: CedarJson[];
  readonly #prepared: Prepared;

  private constructor(
    policies: PolicySet,
    policyIds: string[],
    schema: string | undefined,
    entities: CedarJson[],
    warnings: CedarWarning[],
    runtime: CedarRuntime,
    validateRequests: boolean,
  ) {
    this.#policies = policies;
    this.policyIds = Object.freeze(policyIds);
    this.#schema = schema;
    this.#entities = entities;
    this.warnings = Object.freeze(warnings);
    this.#prepared = {
      runtime,
      id: `zt4ai-${randomUUID()}`,
      hasSchema: schema !== undefined,
      validateRequests,
      generation: -1,
    };
  }

  /**
   * Parses the policies once and, when a schema is given, validates them against it (strict mode).
   * Steps: check input → parse policy ids → validate → check entities → preparse in the engine.
   *
   * @throws ZtError `policy-invalid` naming the policy and the problem on any parse or validation
   *   error (also for malformed loaded entities); `value-out-of-range` when the loaded entities
   *   carry an integer the binding cannot carry. `TypeError` for arguments of the wrong type.
   */
  static load(input: CedarLoadInput, options: CedarEngineOptions = {}): CedarEngine {
    const runtime = options.runtime ?? wasmRuntime;
    const { policySet, text } = toPolicySet(input.policies);
    const schema = input.schema;
    if (schema !== undefined && typeof schema !== 'string') {
      throw new TypeError('schema must be Cedar schema text');
    }
    const bindings = loadStep(runtime, () => runtime.bindings());

    const policyIds = parsePolicyIds(runtime, bindings, policySet, text);
    const warnings =
      schema !== undefined && options.validatePolicies !== false
        ? validatePolicies(runtime, bindings, policySet, schema, text)
        : [];
    const entities = checkEntities(runtime, bindings, input.entities);

    const engine = new CedarEngine(
      policySet,
      policyIds,
      schema,
      entities,
      warnings,
      runtime,
      options.validateRequests !== false,
    );
    const failure = loadStep(runtime, () => engine.#prepare());
    if (failure !== undefined) {
      throw new ZtError('policy-invalid', `policy set rejected: ${formatErrors(failure, text)}`);
    }
    return engine;
  }

  /**
   * Decides one request. MUST NOT throw and MUST NOT return allow unless Cedar answered allow:
   * malformed input, out-of-range integers, engine failures and engine crashes all come back as
   * decision `error`. `entities` (an array of Cedar entity JSON) is added to the loaded entities.
   */
  isAuthorized(request: CedarRequest, entities?: unknown): CedarDecision {
    try {
      return this.#decide(request, entities);
    } catch (error) {
      return engineError(
        error instanceof EngineFault ? error.message : 'policy engine failed unexpectedly',
      );
    }
  }

  #decide(request: CedarRequest, extraEntities: unknown): CedarDecision {
    if (typeof request !== 'object' || request === null) return engineError('malformed request');
    const principal = toEntityRef(request.principal);
    const action = toEntityRef(request.action);
    const resource = toEntityRef(request.resource);
    if (principal === undefined || action === undefined || resource === undefined) {
      return engineError('malformed request: principal, action and resource need a type and an id');
    }
    const context = toCedarJson(request.context, 'context');
    if (!context.ok) return { decision: 'error', code: context.code, message: context.message };
    if (!isRecord(context.value))
      return engineError('malformed request: context must be an object');

    let entities = this.#entities;
    if (extraEntities !== undefined) {
      const extra = toCedarJson(extraEntities, 'entities');
      if (!extra.ok) return { decision: 'error', code: extra.code, message: extra.message };
      if (!Array.isArray(extra.value)) return engineError('entities must be an array');
      entities = entities.concat(extra.value);
    }

    const bindings = this.#bindings();
    const answer = this.#call(() =>
      bindings.statefulIsAuthorized({
        principal,
        action,
        resource,
        context: context.value as Record<string, CedarJson>,
        entities: entities as never,
        preparsedPolicySetId: this.#prepared.id,
        ...(this.#schema === undefined
          ? { validateRequest: false }
          : {
              preparsedSchemaName: this.#prepared.id,
              validateRequest: this.#prepared.validateRequests,
            }),
      }),
    );
    return interpret(answer);
  }

  /** The current bindings, with this engine's policies and schema preparsed in them. */
  #bindings(): CedarBindings {
    const { runtime } = this.#prepared;
    const bindings = this.#call(() => runtime.bindings());
    if (this.#prepared.generation !== runtime.generation) {
      // A fresh instance after a fault: parse again what succeeded at load.
      const failure = this.#call(() => this.#prepare());
      if (failure !== undefined) throw new EngineFault('policy set could not be prepared again');
    }
    return bindings;
  }

  /** Preparses policies and schema into the current instance; returns Cedar's errors on failure. */
  #prepare(): DetailedError[] | undefined {
    const { runtime, id } = this.#prepared;
    const bindings = runtime.bindings();
    const policies = bindings.preparsePolicySet(id, this.#policies);
    if (policies.type !== 'success') return policies.errors;
    if (this.#schema !== undefined) {
      const schema = bindings.preparseSchema(id, this.#schema);
      if (schema.type !== 'success') return schema.errors;
    }
    if (this.#prepared.generation === -1) release.register(this, this.#prepared);
    this.#prepared.generation = runtime.generation;
    return undefined;
  }

  /** Runs a binding; a throw faults the runtime (the instance may be corrupt) and becomes EngineFault. */
  #call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      this.#prepared.runtime.fault();
      throw new EngineFault('policy engine crashed; it has been restarted', { cause: error });
    }
  }
}

function engineError(message: string): CedarDecision {
  return { decision: 'error', code: 'policy-engine-error', message };
}

/** Maps Cedar's answer to a decision, trusting nothing about its shape. */
function interpret(answer: AuthorizationAnswer): CedarDecision {
  if (typeof answer !== 'object' || answer === null) return engineError('no answer from engine');
  if (answer.type === 'failure') {
    const errors = Array.isArray(answer.errors) ? answer.errors : [];
    return engineError(`request rejected by Cedar: ${formatErrors(errors)}`);
  }
  if (answer.type !== 'success') return engineError('unexpected answer from engine');
  const response: unknown = answer.response;
  if (!isRecord(response)) return engineError('unexpected answer from engine');
  const decision = response['decision'];
  const diagnostics = response['diagnostics'];
  if ((decision !== 'allow' && decision !== 'deny') || !isRecord(diagnostics)) {
    return engineError('unexpected answer from engine');
  }
  const reason = diagnostics['reason'];
  const errors = diagnostics['errors'];
  if (!Array.isArray(reason) || !reason.every((id) => typeof id === 'string')) {
    return engineError('unexpected answer from engine');
  }
  if (!Array.isArray(errors)) return engineError('unexpected answer from engine');
  const errored = new Set<string>();
  for (const error of errors as unknown[]) {
    if (!isRecord(error) || typeof error['policyId'] !== 'string') {
      return engineError('unexpected answer from engine');
    }
    errored.add(error['policyId']);
  }
  return { decision, policyIds: [...reason], errors: [...errored] };
}

function toPolicySet(policies: unknown): { policySet: PolicySet; text: string | undefined } {
  if (typeof policies === 'string')
    return { policySet: { staticPolicies: policies }, text: policies };
  if (!isRecord(policies)) {
    throw new TypeError('policies must be Cedar text or a map of policy id to policy text');
  }
  const copy: Record<string, string> = {};
  for (const [id, text] of Object.entries(policies)) {
    if (typeof text !== 'string') throw new TypeError(`policy ${id} must be Cedar text`);
    Object.defineProperty(copy, id, { value: text, enumerable: true, writable: true });
  }
  return { policySet: { staticPolicies: copy }, text: undefined };
}

function parsePolicyIds(
  runtime: CedarRuntime,
  bindings: CedarBindings,
  policySet: PolicySet,
  text: string | undefined,
): string[] {
  if (text === undefined) {
    const parsed = loadStep(runtime, () => bindings.checkParsePolicySet(policySet));
    if (parsed.type !== 'success') {
      throw new ZtError('policy-invalid', `policy rejected: ${formatErrors(parsed.errors)}`);
    }
    return Object.keys(policySet.staticPolicies as Record<string, string>);
  }
  const parts = loadStep(runtime, () => bindings.policySetTextToParts(text));
  if (parts.type !== 'success') {
    throw new ZtError('policy-invalid', `policy set rejected: ${formatErrors(parts.errors, text)}`);
  }
  if (parts.policy_templates.length > 0) {
    throw new ZtError('policy-invalid', 'policy set rejected: templates are not supported');
  }
  // Cedar names policies parsed from text policy0, policy1, … in source order.
  return parts.policies.map((_, index) => `policy${index}`);
}

function validatePolicies(
  runtime: CedarRuntime,
  bindings: CedarBindings,
  policySet: PolicySet,
  schema: string,
  text: string | undefined,
): CedarWarning[] {
  const answer = loadStep(runtime, () =>
    bindings.validate({ schema, policies: policySet, validationSettings: { mode: 'strict' } }),
  );
  if (answer.type !== 'success') {
    throw new ZtError(
      'policy-invalid',
      `schema or policies rejected: ${formatErrors(answer.errors, text)}`,
    );
  }
  if (answer.validationErrors.length > 0) {
    const listed = answer.validationErrors
      .slice(0, MAX_REPORTED_ERRORS)
      .map((e) => `policy ${e.policyId}: ${e.error.message}`)
      .join('; ');
    throw new ZtError('policy-invalid', truncate(`policy validation failed: ${listed}`), {
      detail: { policyId: answer.validationErrors[0]?.policyId ?? '' },
    });
  }
  return answer.validationWarnings.map((w) => ({ policyId: w.policyId, message: w.error.message }));
}

function checkEntities(
  runtime: CedarRuntime,
  bindings: CedarBindings,
  entities: unknown,
): CedarJson[] {
  if (entities === undefined) return [];
  const copied = toCedarJson(entities, 'entities');
  if (!copied.ok) {
    throw new ZtError(
      copied.code === 'value-out-of-range' ? 'value-out-of-range' : 'policy-invalid',
      copied.message,
    );
  }
  if (!Array.isArray(copied.value))
    throw new ZtError('policy-invalid', 'entities must be an array');
  const value = copied.value;
  const parsed = loadStep(runtime, () =>
    // Structure only: checking against the schema costs a full schema parse per load, and every
    // request re-checks the entities against the schema anyway (a mismatch there is an 'error').
    bindings.checkParseEntities({ entities: value as never, schema: null }),
  );
  if (parsed.type !== 'success') {
    throw new ZtError('policy-invalid', `entities rejected: ${formatErrors(parsed.errors)}`);
  }
  return value;
}

/** Runs a binding during load; a throw faults the runtime and becomes `policy-invalid`. */
function loadStep<T>(runtime: CedarRuntime, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    runtime.fault();
    throw new ZtError('policy-invalid', 'policy set rejected: the policy engine failed on it', {
      cause: error,
    });
  }
}

function toEntityRef(value: unknown): EntityRef | undefined {
  if (!isRecord(value)) return undefined;
  const { type, id } = value;
  if (typeof type !== 'string' || typeof id !== 'string') return undefined;
  return { type, id };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Cedar's messages with positions as line:column of the policy text when we have it. */
function formatErrors(errors: readonly DetailedError[], text?: string): string {
  if (errors.length === 0) return 'unknown error';
  const parts = errors.slice(0, MAX_REPORTED_ERRORS).map((error) => {
    let part = String(error.message);
    const location = error.sourceLocations?.[0];
    if (location !== undefined) {
      if (location.label) part += ` (${location.label})`;
      if (text !== undefined) part += ` at ${lineColumn(text, location.start)}`;
    }
    if (error.help) part += `; ${error.help}`;
    return part;
  });
  return truncate(parts.join('; '));
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function truncate(message: string): string {
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;
}
