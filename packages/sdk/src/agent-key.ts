// The agent's own Ed25519 key (RFC 8037): generated or imported through WebCrypto (via jose), so it
// works in browsers too. A generated key is not extractable: the private key never leaves it.
import { jwkThumbprint } from '@zt4ai/verify';
import {
  type CryptoKey,
  CompactSign,
  compactVerify,
  exportJWK,
  generateKeyPair,
  importJWK,
} from 'jose';
import type { JWK } from 'jose';
import { SdkError } from './errors.js';

/** The public half of an agent key, exactly as proofs carry it and `agent register` takes it. */
export interface AgentPublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
}

/** A usable agent key: the private key to sign with, its public JWK and RFC 7638 thumbprint. */
export interface AgentKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: AgentPublicJwk;
  readonly thumbprint: string;
}

// An Ed25519 key or seed is 32 bytes: 43 base64url characters without padding (RFC 8037 §2).
const KEY_PART = /^[A-Za-z0-9_-]{43}$/;
const CHECK_MESSAGE = new TextEncoder().encode('zt4ai agent key check');

/** Generates a fresh, non-extractable key (an agent without a key file). */
export async function generateAgentKey(): Promise<AgentKey> {
  const { privateKey, publicKey } = await generateKeyPair('Ed25519');
  const exported = await exportJWK(publicKey);
  if (typeof exported.x !== 'string') throw new SdkError('key-invalid', 'invalid agent key');
  return withThumbprint(privateKey, { kty: 'OKP', crv: 'Ed25519', x: exported.x });
}

/** Generates a key and returns its private JWK `{kty, crv, x, d}` (for storing in a key file). */
export async function generatePrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const { kty, crv, x, d } = await exportJWK(privateKey);
  return { kty, crv, x, d } as JWK;
}

/**
 * Imports an Ed25519 private JWK as a non-extractable key. MUST refuse (SdkError `key-invalid`)
 * anything but `{kty: OKP, crv: Ed25519, x, d}`, and a JWK whose `x` is not the public key of its
 * `d`: otherwise proofs would name a key that did not sign them.
 */
export async function importAgentKey(jwk: unknown): Promise<AgentKey> {
  if (typeof jwk !== 'object' || jwk === null) throw invalid();
  const { kty, crv, x, d } = jwk as Record<string, unknown>;
  if (
    kty !== 'OKP' ||
    crv !== 'Ed25519' ||
    typeof x !== 'string' ||
    typeof d !== 'string' ||
    !KEY_PART.test(x) ||
    !KEY_PART.test(d)
  ) {
    throw invalid();
  }
  const publicJwk: AgentPublicJwk = { kty: 'OKP', crv: 'Ed25519', x };
  let privateKey: CryptoKey;
  try {
    privateKey = (await importJWK({ kty, crv, x, d }, 'EdDSA', {
      extractable: false,
    })) as CryptoKey;
  } catch (cause) {
    throw invalid(cause);
  }
  await checkPair(privateKey, publicJwk);
  return withThumbprint(privateKey, publicJwk);
}

/** Step: a signature by the private key verifies under the public key it claims to have. */
async function checkPair(privateKey: CryptoKey, publicJwk: AgentPublicJwk): Promise<void> {
  try {
    const jws = await new CompactSign(CHECK_MESSAGE)
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(privateKey);
    await compactVerify(jws, await importJWK({ ...publicJwk }, 'EdDSA'));
  } catch (cause) {
    throw invalid(cause);
  }
}

async function withThumbprint(privateKey: CryptoKey, publicJwk: AgentPublicJwk): Promise<AgentKey> {
  return {
    privateKey,
    publicJwk: Object.freeze(publicJwk),
    thumbprint: await jwkThumbprint({ ...publicJwk }),
  };
}

function invalid(cause?: unknown): SdkError {
  return new SdkError(
    'key-invalid',
    'the agent key must be an Ed25519 private JWK {kty: "OKP", crv: "Ed25519", x, d}',
    cause === undefined ? undefined : { cause },
  );
}
