// Bundle versions and their order. A version is semantic versioning in its canonical form
// (2026.11.26, 1.4.0-rc.1) or a shorter numeric form that stands for it with zeros added (3 = 3.0.0,
// 2026.1 = 2026.1.0). Build metadata (+…), a leading "v" or spaces are refused: semantic versioning
// ignores or strips them, so two different texts could take the same place in the order. The order
// decides which bundle may replace the one in force (policy/bundle-ratchet.ts).
import semver from 'semver';

const SHORT_NUMERIC = /^(0|[1-9]\d{0,15})(\.(0|[1-9]\d{0,15}))?$/;

/** The full semantic version `version` stands for, or undefined when it is not a bundle version. */
function semantic(version: string): string | undefined {
  const full = SHORT_NUMERIC.test(version)
    ? `${version}${'.0'.repeat(2 - (version.split('.').length - 1))}`
    : version;
  return semver.valid(full) === full ? full : undefined;
}

export function isBundleVersion(version: string): boolean {
  return semantic(version) !== undefined;
}

/** Negative when `a` comes before `b`, zero when they stand for the same version, else positive. */
export function compareBundleVersions(a: string, b: string): number {
  const left = semantic(a);
  const right = semantic(b);
  if (left === undefined || right === undefined)
    throw new TypeError(`not a bundle version: ${left === undefined ? a : b}`);
  return semver.compare(left, right);
}
