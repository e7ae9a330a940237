// The policy set in force: the baseline pack plus, when configured, one signed bundle. An unsigned
// or wrongly signed bundle is refused unless the caller explicitly allows it (development mode).
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { ZtError } from '../errors.js';
import { baselinePolicies, zt4aiSchema } from './baseline.js';
import { loadSignedBundle, loadUnsignedBundle, type PolicyBundle } from './policy-bundle.js';
import { PolicySet } from './policy-set.js';

export interface LoadedPolicies {
  readonly set: PolicySet;
  /** The bundle on top of the baseline, if any. */
  readonly bundle: PolicyBundle | undefined;
  /** True when a bundle was loaded without a valid signature (development mode). */
  readonly unsigned: boolean;
}

export interface LoadPoliciesOptions {
  readonly bundleDir: string | undefined;
  readonly trustedKeys: readonly JWK[];
  /** Development mode: accept a bundle whose signature is missing or invalid. */
  readonly allowUnsigned: boolean;
}

export async function loadPolicies(options: LoadPoliciesOptions): Promise<LoadedPolicies> {
  const { bundle, unsigned } = await loadBundle(options);
  const set = PolicySet.load([...baselinePolicies(), ...(bundle?.policies ?? [])], zt4aiSchema());
  return { set, bundle, unsigned };
}

async function loadBundle(
  options: LoadPoliciesOptions,
): Promise<{ bundle: PolicyBundle | undefined; unsigned: boolean }> {
  if (options.bundleDir === undefined) return { bundle: undefined, unsigned: false };
  try {
    return {
      bundle: await loadSignedBundle(options.bundleDir, options.trustedKeys),
      unsigned: false,
    };
  } catch (error) {
    const signatureProblem =
      error instanceof ZtError &&
      (error.code === 'bundle-unsigned' || error.code === 'bundle-signature-invalid');
    if (!signatureProblem || !options.allowUnsigned) throw error;
    return { bundle: loadUnsignedBundle(options.bundleDir), unsigned: true };
  }
}

/** Reads public Ed25519 JWK files; a private key or anything else is refused. */
export function readTrustedKeys(paths: readonly string[]): JWK[] {
  return paths.map((path) => {
    let jwk: JWK;
    try {
      jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
    } catch (cause) {
      throw new ZtError('key-file-invalid', `cannot read the trusted key ${path}`, { cause });
    }
    if (
      jwk.kty !== 'OKP' ||
      jwk.crv !== 'Ed25519' ||
      typeof jwk.x !== 'string' ||
      jwk.d !== undefined
    ) {
      throw new ZtError('key-file-invalid', `${path} is not a public Ed25519 JWK`);
    }
    return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  });
}
