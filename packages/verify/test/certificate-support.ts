// Test support for agentic certificates: real keys from jose, tokens signed with jose, a frozen clock.
import { CompactSign, SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { CertificateVerifier, MemoryReplayCache, jwkThumbprint } from '../src/index.js';
import type { AgentCertificateClaims, VerifyError } from '../src/index.js';

/** The frozen clock of every certificate test (2027-01-15T08:00:00Z). */
export const NOW = 1_800_000_000;
export const clock = (): number => NOW;
export const ISSUER = 'https://cp.example.test';
export const AUDIENCE = 'gateway.example.test';
export const KID = 'issuer-2027-01';
export const URL_ = 'https://gateway.example.test/mcp';

export interface TestKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
  jkt: string;
}

/** A fresh Ed25519 key pair with its public JWK and RFC 7638 thumbprint. */
export async function ed25519Key(): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('Ed25519');
  const { kty, crv, x } = await exportJWK(publicKey);
  const jwk = { kty: kty as 'OKP', crv: crv as 'Ed25519', x: x as string };
  return { privateKey, publicKey, jwk, jkt: await jwkThumbprint(jwk) };
}

/** The issuer's JWKS holding `key` under `kid`. */
export function jwksOf(key: TestKey, kid = KID): { keys: JWK[] } {
  return { keys: [{ ...key.jwk, kid, alg: 'EdDSA', use: 'sig' }] };
}

/** Claims of a valid certificate for `agent`, issued 60 s before {@link NOW} for 10 min. */
export function certificateClaims(agentJkt: string): AgentCertificateClaims {
  return {
    iss: ISSUER,
    sub: 'spiffe://example.test/agent/agt-1',
    aud: AUDIENCE,
    iat: NOW - 60,
    nbf: NOW - 60,
    exp: NOW + 540,
    jti: 'cert-0001',
    cnf: { jkt: agentJkt },
    agent: { id: 'agt-1', name: 'invoice-bot', version: 3, owner: 'team-finance' },
    model: { provider: 'example', name: 'model-x', version: '2026-10-01', digest: 'sha256:abcd' },
    prompt: { digest: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg' },
    mission: { id: 'msn-7', digest: 'LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564' },
    act: { sub: 'user:alice' },
  };
}

/** Signs claims as a certificate with jose; `header` members are added to (or replace) the defaults. */
export function signCertificate(
  claims: object,
  key: CryptoKey,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims as Record<string, unknown>)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'agent-cert+jwt', kid: KID, ...header })
    .sign(key);
}

/** Signs a payload given as raw bytes (e.g. JSON with a duplicate member) with jose's CompactSign. */
export function signRawPayload(
  payloadJson: string | Uint8Array,
  key: CryptoKey,
  header: Record<string, unknown> = { alg: 'EdDSA', typ: 'agent-cert+jwt', kid: KID },
): Promise<string> {
  const bytes =
    typeof payloadJson === 'string' ? new TextEncoder().encode(payloadJson) : payloadJson;
  return new CompactSign(bytes).setProtectedHeader(header as { alg: string }).sign(key);
}

const b64u = (s: string | Uint8Array): string =>
  Buffer.from(typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64url');

/**
 * A compact JWS over an arbitrary header text (duplicate members, `crit`, …) that jose would not
 * produce, signed with Ed25519 through WebCrypto; with no key the signature is empty (alg none).
 */
export async function signRawHeader(
  headerJson: string,
  payloadJson: string,
  key?: CryptoKey,
): Promise<string> {
  const input = `${b64u(headerJson)}.${b64u(payloadJson)}`;
  if (key === undefined) return `${input}.`;
  const sig = await crypto.subtle.sign('Ed25519', key as never, new TextEncoder().encode(input));
  return `${input}.${b64u(new Uint8Array(sig))}`;
}

/** `ath` of a certificate: base64url SHA-256 of its ASCII (RFC 9449 §4.2). */
export async function ath(certificate: string): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(certificate));
  return b64u(new Uint8Array(d));
}

let jtiCounter = 0;

/** A proof for `certificate` by `agent`; `claims` and `header` override the defaults. */
export async function makeProof(
  agent: TestKey,
  certificate: string,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    htm: 'POST',
    htu: URL_,
    iat: NOW,
    jti: `proof-${++jtiCounter}`,
    ath: await ath(certificate),
    ...claims,
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: agent.jwk, ...header })
    .sign(agent.privateKey);
}

/** An issuer, an agent, a valid certificate for it, a verifier and a replay cache, all on {@link NOW}. */
export async function scenario() {
  const issuer = await ed25519Key();
  const agent = await ed25519Key();
  const claims = certificateClaims(agent.jkt);
  const certificate = await signCertificate(claims, issuer.privateKey);
  const options = { jwks: jwksOf(issuer), issuer: ISSUER, audience: AUDIENCE, now: clock };
  const verifier = new CertificateVerifier(options);
  const replayCache = new MemoryReplayCache({ now: clock });
  return { issuer, agent, claims, certificate, options, verifier, replayCache };
}

/** Runs `f` and returns the VerifyError code it rejected with (fails the test on success). */
export async function codeOf(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (e instanceof Error && e.name === 'VerifyError') return (e as VerifyError).code;
    throw e;
  }
  throw new Error('expected a VerifyError, but it succeeded');
}
