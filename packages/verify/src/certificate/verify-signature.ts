// The one signature check of both token kinds: jose, EdDSA only, with a key chosen by the caller (RFC 8037 §3.1).
import { compactVerify } from 'jose';
import { VerifyError } from '../errors.js';
import { importEd25519 } from './ed25519-key.js';

const ED25519_SIGNATURE_BYTES = 64;
const EDDSA_ONLY = { algorithms: ['EdDSA'] };

/**
 * Verifies the Ed25519 signature of a compact JWS already decoded by `decodeJws` and whose
 * header was checked, with the public key `x` the caller selected (never one named by the token).
 * Throws VerifyError `signature-invalid` when it does not verify or the key is unusable.
 */
export async function verifyEd25519Signature(
  token: string,
  signature: Uint8Array,
  x: string,
): Promise<void> {
  if (signature.length !== ED25519_SIGNATURE_BYTES) throw new VerifyError('signature-invalid');
  try {
    await compactVerify(token, await importEd25519(x), EDDSA_ONLY);
  } catch {
    throw new VerifyError('signature-invalid');
  }
}
