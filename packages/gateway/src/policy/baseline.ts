// The baseline pack and the Cedar schema, shipped inside the package (packages/gateway/policies):
// part of the product, so they are trusted like its code and need no bundle signature.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cedarFiles } from './policy-bundle.js';
import { parsePolicySource, type SourcePolicy } from './policy-source.js';

const POLICIES_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));

/** The Cedar schema of the zt4ai entity model. */
export function zt4aiSchema(): string {
  return readFileSync(`${POLICIES_DIR}schema.cedarschema`, 'utf8');
}

/** The baseline policies (docs/policies.md explains each). */
export function baselinePolicies(): SourcePolicy[] {
  const dir = `${POLICIES_DIR}baseline`;
  return cedarFiles(dir).flatMap((file) =>
    parsePolicySource(
      readFileSync(`${dir}/${file}`, 'utf8'),
      `baseline/${file}`,
      `baseline/${file}#`,
    ),
  );
}
