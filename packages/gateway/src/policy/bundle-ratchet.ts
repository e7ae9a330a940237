// Rollback protection for signed policy bundles. A signature proves who wrote a bundle, not that it
// is the current one: whoever can write the bundle directory could put back an older, validly
// signed bundle without a forbid added since. So the store keeps the bundle in force (name, version,
// manifest digest), shared by every process on it, and a control plane refuses to start with
//   - an older version of it (bundle-rollback),
//   - the same version with other contents (bundle-version-reused),
//   - a bundle of another name (bundle-renamed),
// unless its operator allows a rollback on purpose; the bundle loaded then becomes the one in force.
import type { Kysely } from 'kysely';
import { ZtError } from '../errors.js';
import type { Database, PolicyBundleRow, Store } from '../store/index.js';
import { compareBundleVersions } from './bundle-version.js';

export interface SignedBundleIdentity {
  readonly name: string;
  readonly version: string;
  readonly manifestDigest: string;
  readonly signedBy: string;
}

/** How the bundle loaded relates to the one in force before. */
export type BundleChange = 'first' | 'same' | 'newer' | 'rollback';

export interface RatchetOutcome {
  readonly change: BundleChange;
  /** The bundle in force before, when there was one. */
  readonly previous: { readonly name: string; readonly version: string } | undefined;
}

export interface RatchetOptions {
  /** Accept an older, renamed or re-used-version bundle (the operator means it). */
  readonly allowRollback: boolean;
  readonly now: () => Date;
}

/** Checks `bundle` against the bundle in force and records it; throws the refusal. */
export function ratchetBundle(
  store: Store,
  bundle: SignedBundleIdentity,
  options: RatchetOptions,
): Promise<RatchetOutcome> {
  return store.exclusive('policy-bundle', async (trx) => {
    const inForce = await trx
      .selectFrom('policy_bundle')
      .selectAll()
      .where('id', '=', 1)
      .executeTakeFirst();
    const change = changeOf(inForce, bundle, options.allowRollback);
    if (change !== 'same') await putInForce(trx, bundle, options.now());
    return {
      change,
      previous:
        inForce === undefined ? undefined : { name: inForce.name, version: inForce.version },
    };
  });
}

function changeOf(
  inForce: PolicyBundleRow | undefined,
  bundle: SignedBundleIdentity,
  allowRollback: boolean,
): BundleChange {
  if (inForce === undefined) return 'first';
  const refusal = refusalOf(inForce, bundle);
  if (refusal !== undefined) {
    if (!allowRollback) throw refusal;
    return 'rollback';
  }
  return compareBundleVersions(bundle.version, inForce.version) > 0 ? 'newer' : 'same';
}

function refusalOf(inForce: PolicyBundleRow, bundle: SignedBundleIdentity): ZtError | undefined {
  const override = 'start with --allow-policy-rollback to load it on purpose';
  if (bundle.name !== inForce.name)
    return new ZtError(
      'bundle-renamed',
      `the policy bundle in force is "${inForce.name}" ${inForce.version}, not "${bundle.name}"; ${override}`,
    );
  const order = compareBundleVersions(bundle.version, inForce.version);
  if (order < 0)
    return new ZtError(
      'bundle-rollback',
      `policy bundle "${bundle.name}" ${bundle.version} is older than ${inForce.version}, which is in force; sign the policies with a higher version, or ${override}`,
    );
  if (order === 0 && bundle.manifestDigest !== inForce.manifest_digest)
    return new ZtError(
      'bundle-version-reused',
      `policy bundle "${bundle.name}" ${bundle.version} was loaded before with other contents; a changed bundle needs a higher version, or ${override}`,
    );
  return undefined;
}

async function putInForce(
  trx: Kysely<Database>,
  bundle: SignedBundleIdentity,
  now: Date,
): Promise<void> {
  const row = {
    name: bundle.name,
    version: bundle.version,
    manifest_digest: bundle.manifestDigest,
    signed_by: bundle.signedBy,
    loaded_at: now.toISOString(),
  };
  await trx
    .insertInto('policy_bundle')
    .values({ id: 1, ...row })
    .onConflict((c) => c.column('id').doUpdateSet(row))
    .execute();
}
