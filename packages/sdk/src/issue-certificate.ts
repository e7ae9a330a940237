// Obtains a certificate from the control plane (docs/identity.md): a server nonce, then a POST of
// the profile with a proof whose `ath` binds it to the exact body bytes; one retry on a fresh nonce.
import { decodeJwt } from 'jose';
import type { AgentKey } from './agent-key.js';
import { SdkError } from './errors.js';
import { sha256Base64url, signProof } from './proof.js';
import { discard, dpopNonce, errorCode, nonceChallenge } from './wire.js';

/** An issued certificate and the times the SDK schedules its renewal by (epoch seconds). */
export interface IssuedCertificate {
  readonly token: string;
  readonly jti: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** Everything issuance needs; `body` is the exact JSON text sent (the proof hashes it). */
export interface IssuanceContext {
  readonly issuer: string;
  readonly key: AgentKey;
  readonly body: string;
  readonly fetch: typeof fetch;
  readonly now: () => number;
}

// The issuer's refusals that callers act on, with their own codes; any other 4xx is generic.
const REFUSALS = new Set(['profile-not-approved', 'agent-not-active']);

/** Requests a certificate: the steps of the issuance protocol. */
export async function issueCertificate(context: IssuanceContext): Promise<IssuedCertificate> {
  const url = `${context.issuer}/api/identity/certificates`;
  const ath = await sha256Base64url(context.body);
  let nonce = await fetchNonce(context);
  let response = await post(context, url, ath, nonce);
  const challenged = nonceChallenge(response);
  if (challenged !== undefined) {
    // RFC 9449 §8: the nonce expired in flight; retry once with the one the server just gave.
    await discard(response);
    nonce = challenged;
    response = await post(context, url, ath, nonce);
  }
  if (response.status !== 201) throw await refusal(response);
  return readCertificate(response, context.key);
}

/** Step: a fresh server nonce (`POST /api/identity/nonce`). */
async function fetchNonce(context: IssuanceContext): Promise<string> {
  const response = await send(context, `${context.issuer}/api/identity/nonce`, { method: 'POST' });
  if (!response.ok) throw await refusal(response);
  const header = dpopNonce(response);
  if (header !== undefined) {
    await discard(response);
    return header;
  }
  const nonce = ((await readJson(response)) as { nonce?: unknown } | null)?.nonce;
  if (typeof nonce === 'string' && nonce !== '') return nonce;
  throw new SdkError('issuer-error', 'the issuer returned no nonce');
}

/** Step: the issuance request itself, with a proof over its body. */
async function post(
  context: IssuanceContext,
  url: string,
  ath: string,
  nonce: string,
): Promise<Response> {
  const proof = await signProof(context.key, {
    method: 'POST',
    url,
    ath,
    nonce,
    nowMs: context.now(),
  });
  return send(context, url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', dpop: proof },
    body: context.body,
  });
}

/** Step: the certificate from a 201, checked to be a JWT bound to this agent's key. */
async function readCertificate(response: Response, key: AgentKey): Promise<IssuedCertificate> {
  const body = await readJson(response);
  const token = (body as { certificate?: unknown } | null)?.certificate;
  if (typeof token !== 'string')
    throw new SdkError('issuer-error', 'the issuer sent no certificate');
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch (cause) {
    throw new SdkError('certificate-invalid', 'the issued certificate is malformed', { cause });
  }
  const { jti, iat, exp, cnf } = claims as {
    jti?: unknown;
    iat?: unknown;
    exp?: unknown;
    cnf?: unknown;
  };
  if (
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    !(exp > iat)
  ) {
    throw new SdkError('certificate-invalid', 'the issued certificate lacks jti, iat or exp');
  }
  if ((cnf as { jkt?: unknown } | undefined)?.jkt !== key.thumbprint) {
    throw new SdkError('certificate-invalid', 'the issued certificate is not bound to this key');
  }
  return { token, jti, issuedAt: iat, expiresAt: exp };
}

/** The SdkError for a response other than success. */
async function refusal(response: Response): Promise<SdkError> {
  const serverCode = await errorCode(response);
  await discard(response);
  const detail = {
    status: response.status,
    ...(serverCode === undefined ? {} : { serverCode }),
  };
  if (response.status >= 500 || response.status < 400) {
    return new SdkError('issuer-error', `the issuer answered HTTP ${response.status}`, { detail });
  }
  if (serverCode !== undefined && REFUSALS.has(serverCode)) {
    return new SdkError(
      serverCode as 'profile-not-approved' | 'agent-not-active',
      serverCode === 'profile-not-approved'
        ? 'the presented model or prompt is not the approved profile; it awaits approval'
        : 'the agent is not active',
      { detail },
    );
  }
  return new SdkError('issuance-refused', `the issuer refused the certificate request`, { detail });
}

async function send(context: IssuanceContext, url: string, init: RequestInit): Promise<Response> {
  try {
    return await context.fetch(url, init);
  } catch (cause) {
    throw new SdkError('issuer-unreachable', 'cannot reach the issuer', { cause });
  }
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return (await response.json()) as unknown;
  } catch (cause) {
    throw new SdkError('issuer-error', 'the issuer sent a malformed response', { cause });
  }
}
