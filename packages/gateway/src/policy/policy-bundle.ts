// Signed policy bundles (DESIGN §6): a directory of `.cedar` files, a manifest naming each file with
// its SHA-256, and an Ed25519 JWS over the canonical manifest. A bundle loads only when its
// signature verifies with a trusted key and every file matches the manifest — no file more, none less.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import canonicalize from 'canonicalize';
import { calculateJwkThumbprint, CompactSign, compactVerify, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { ZtError } from '../errors.js';
import { isBundleVersion } from './bundle-version.js';
import { parsePolicySource, type SourcePolicy } from './policy-source.js';

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 10_000;

const manifestSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/),
  version: z.string().max(64).refine(isBundleVersion, {
    message: 'version must be a semantic version such as 2026.11.26 or 1.4.0-rc.1 (or 3, 2026.1)',
  }),
  files: z.record(
    z.string().regex(/^[A-Za-z0-9_./-]{1,300}\.cedar$/),
    z.string().regex(/^sha256:[0-9a-f]{64}$/),
  ),
});
export type BundleManifest = z.infer<typeof manifestSchema>;

export interface PolicyBundle {
  readonly manifest: BundleManifest;
  /** Key id (RFC 7638 thumbprint) of the key that signed it; undefined for an unsigned bundle. */
  readonly signedBy: string | undefined;
  readonly policies: readonly SourcePolicy[];
}

/** Writes manifest.json and manifest.sig for the `.cedar` files in `dir`. */
export async function signBundle(
  dir: string,
  input: { name: string; version: string; privateJwk: JWK },
): Promise<BundleManifest> {
  if (typeof input.privateJwk.d !== 'string')
    throw new ZtError('invalid-argument', 'signing needs the private key (JWK with "d")');
  const files = Object.fromEntries(
    [...readFiles(dir, cedarFiles(dir))].map(([file, bytes]) => [file, digest(bytes)]),
  );
  const manifest = parseManifest({ name: input.name, version: input.version, files });
  const kid = await calculateJwkThumbprint(input.privateJwk);
  const key = await importJWK({ ...input.privateJwk, alg: 'EdDSA' }, 'EdDSA');
  const signature = await new CompactSign(new TextEncoder().encode(canonicalText(manifest)))
    .setProtectedHeader({ alg: 'EdDSA', typ: 'zt4ai-bundle+jws', kid })
    .sign(key);
  writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, SIGNATURE_FILE), `${signature}\n`);
  return manifest;
}

/** Verifies and parses a signed bundle. Throws bundle-unsigned / bundle-signature-invalid / bundle-invalid. */
export async function loadSignedBundle(
  dir: string,
  trustedKeys: readonly JWK[],
): Promise<PolicyBundle> {
  // The signature first: a directory that was never signed is `bundle-unsigned`, whatever else it lacks.
  const signature = readBounded(
    join(dir, SIGNATURE_FILE),
    'bundle-unsigned',
    'the bundle is not signed',
  ).trim();
  const manifestText = readBounded(
    join(dir, MANIFEST_FILE),
    'bundle-invalid',
    'the bundle has no manifest.json',
  );
  const manifest = parseManifest(parseJson(manifestText));
  const signedBy = await verifyManifestSignature(signature, manifest, trustedKeys);
  // Each file is read once: the bytes whose digest is checked are the bytes that are parsed.
  const contents = readFiles(dir, Object.keys(manifest.files));
  checkFiles(dir, manifest, contents);
  return { manifest, signedBy, policies: parseBundlePolicies(manifest, contents) };
}

/** Parses a bundle without any signature (development mode only; the caller logs a warning). */
export function loadUnsignedBundle(dir: string): PolicyBundle {
  const contents = readFiles(dir, cedarFiles(dir));
  const files = Object.fromEntries([...contents].map(([file, bytes]) => [file, digest(bytes)]));
  const manifest: BundleManifest = { name: 'unsigned', version: '0', files };
  return { manifest, signedBy: undefined, policies: parseBundlePolicies(manifest, contents) };
}

async function verifyManifestSignature(
  signature: string,
  manifest: BundleManifest,
  trustedKeys: readonly JWK[],
): Promise<string> {
  const invalid = (cause?: unknown): ZtError =>
    new ZtError(
      'bundle-signature-invalid',
      'the bundle signature does not verify with a trusted key',
      { cause },
    );
  for (const jwk of trustedKeys) {
    const kid = await calculateJwkThumbprint(jwk);
    try {
      const key = await importJWK(
        { kty: jwk.kty, crv: jwk.crv, x: jwk.x, alg: 'EdDSA' } as JWK,
        'EdDSA',
      );
      const { payload, protectedHeader } = await compactVerify(signature, key, {
        algorithms: ['EdDSA'],
      });
      if (protectedHeader.typ !== 'zt4ai-bundle+jws') throw invalid();
      if (new TextDecoder().decode(payload) !== canonicalText(manifest)) throw invalid();
      return kid;
    } catch {
      // try the next trusted key
    }
  }
  throw invalid();
}

function readFiles(dir: string, files: readonly string[]): Map<string, Buffer> {
  return new Map(
    files.map((file) => [
      file,
      Buffer.from(
        readBounded(join(dir, file), 'bundle-invalid', `${file} is missing or unreadable`),
        'utf8',
      ),
    ]),
  );
}

function checkFiles(
  dir: string,
  manifest: BundleManifest,
  contents: ReadonlyMap<string, Buffer>,
): void {
  const listed = Object.keys(manifest.files);
  const extra = cedarFiles(dir).find((file) => !listed.includes(file));
  if (extra !== undefined)
    throw new ZtError('bundle-invalid', `${extra} is not listed in the signed manifest`);
  for (const [file, expected] of Object.entries(manifest.files)) {
    const bytes = contents.get(file);
    if (bytes === undefined) throw new ZtError('bundle-invalid', `${file} is missing`);
    if (digest(bytes) !== expected) {
      throw new ZtError('bundle-signature-invalid', `${file} does not match the signed manifest`);
    }
  }
}

function parseBundlePolicies(
  manifest: BundleManifest,
  contents: ReadonlyMap<string, Buffer>,
): SourcePolicy[] {
  const policies = Object.keys(manifest.files)
    .sort()
    .flatMap((file) =>
      parsePolicySource(
        (contents.get(file) as Buffer).toString('utf8'),
        file,
        `${manifest.name}/${file}#`,
      ),
    );
  const ids = new Set<string>();
  for (const policy of policies) {
    if (ids.has(policy.id))
      throw new ZtError('policy-invalid', `policy id "${policy.id}" appears twice`);
    ids.add(policy.id);
  }
  return policies;
}

/** `.cedar` files under `dir` (relative, `/`-separated, sorted), skipping `tests/`. */
export function cedarFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory() && !(current === dir && entry.name === 'tests')) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.cedar'))
        found.push(relative(dir, path).split(sep).join('/'));
      if (found.length > MAX_FILES) throw new ZtError('bundle-invalid', 'too many policy files');
    }
  };
  try {
    walk(dir);
  } catch (cause) {
    if (cause instanceof ZtError) throw cause;
    throw new ZtError('bundle-invalid', `cannot read the bundle directory ${dir}`, { cause });
  }
  return found.sort();
}

function digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function readBounded(
  path: string,
  code: 'bundle-invalid' | 'bundle-unsigned',
  message: string,
): string {
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw new Error('too large');
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ZtError(code, message, { cause });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ZtError('bundle-invalid', 'manifest.json is not valid JSON', { cause });
  }
}

function parseManifest(input: unknown): BundleManifest {
  const result = manifestSchema.safeParse(input);
  if (!result.success)
    throw new ZtError(
      'bundle-invalid',
      `manifest.json: ${result.error.issues[0]?.message ?? 'invalid'}`,
    );
  return result.data;
}

/** SHA-256 of the signed manifest text: it names every file by its digest, so the whole bundle. */
export function manifestDigest(manifest: BundleManifest): string {
  return digest(Buffer.from(canonicalText(manifest), 'utf8'));
}

function canonicalText(manifest: BundleManifest): string {
  return canonicalize(manifest) as string;
}
