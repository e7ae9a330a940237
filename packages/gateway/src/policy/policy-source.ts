// Splits Cedar policy text into single policies with their ids, annotations and principal scope,
// using the official parser. `@id("…")` names a policy; `@reason`, `@severity` and `@approval`
// carry what the guard reports. The scope is what the policy set indexes on.
import { createRequire } from 'node:module';
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';
import { ZtError } from '../errors.js';

export interface SourcePolicy {
  readonly id: string;
  readonly text: string;
  readonly effect: 'permit' | 'forbid';
  readonly annotations: Readonly<Record<string, string>>;
  /** `Type::"id"` when the policy applies to exactly one principal (`principal == …`). */
  readonly principal: string | undefined;
}

const require = createRequire(import.meta.url);
const cedar = (): typeof CedarWasm =>
  require('@cedar-policy/cedar-wasm/nodejs') as typeof CedarWasm;

const ID = /^[A-Za-z0-9_./:#-]{1,200}$/;

/** Parses `text` (from `source`, for messages) into policies; every policy needs a unique id. */
export function parsePolicySource(
  text: string,
  source: string,
  fallbackPrefix: string,
): SourcePolicy[] {
  const parts = cedar().policySetTextToParts(text);
  if (parts.type === 'failure') {
    throw new ZtError(
      'policy-invalid',
      `${source}: ${parts.errors[0]?.message ?? 'invalid Cedar'}`,
    );
  }
  if (parts.policy_templates.length > 0) {
    throw new ZtError('policy-invalid', `${source}: policy templates are not supported in bundles`);
  }
  // policySetTextToParts returns the policies ordered by Cedar's own ids (policy0, policy1,
  // policy10, …, policy2): give each its source position so fallback ids match Cedar's.
  const cedarOrder = parts.policies.map((_, i) => `policy${i}`).sort();
  const inSourceOrder = parts.policies
    .map((policyText, k) => ({ policyText, n: Number(cedarOrder[k]?.slice('policy'.length)) }))
    .sort((a, b) => a.n - b.n);
  return inSourceOrder.map(({ policyText, n }) => {
    const json = cedar().policyToJson(policyText);
    if (json.type === 'failure') {
      throw new ZtError('policy-invalid', `${source}: policy ${n + 1} does not parse`);
    }
    const annotations = Object.fromEntries(
      Object.entries(json.json.annotations ?? {}).map(([k, v]) => [k, v ?? '']),
    );
    const id = annotations.id ?? `${fallbackPrefix}${n}`;
    if (!ID.test(id)) {
      throw new ZtError('policy-invalid', `${source}: policy id "${id}" is not a valid id`);
    }
    const scope = json.json.principal;
    return {
      id,
      text: policyText,
      effect: json.json.effect,
      annotations,
      principal: scope.op === '==' && 'entity' in scope ? entityKey(scope.entity) : undefined,
    };
  });
}

function entityKey(entity: CedarWasm.EntityUidJson): string | undefined {
  const uid = '__entity' in entity ? entity.__entity : entity;
  return typeof uid.type === 'string' && typeof uid.id === 'string'
    ? `${uid.type}::${JSON.stringify(uid.id)}`
    : undefined;
}
