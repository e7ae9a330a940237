// What the SDK reads from gateway responses: error codes, DPoP nonce challenges (RFC 9449 §8).

/** Longest error body worth reading: the gateway's `{"error":{code,message}}` is far smaller. */
const MAX_ERROR_BODY_CHARS = 64 * 1024;

/**
 * The `error.code` of a gateway error body `{"error":{"code":…}}`, or undefined. Reads a clone, so
 * the caller can still hand the response on with its body intact.
 */
export async function errorCode(response: Response): Promise<string | undefined> {
  if (!(response.headers.get('content-type') ?? '').includes('json')) return undefined;
  try {
    const text = await response.clone().text();
    if (text.length > MAX_ERROR_BODY_CHARS) return undefined;
    const code = (JSON.parse(text) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The nonce of a `use_dpop_nonce` challenge: a 401 whose `WWW-Authenticate` carries
 * `DPoP error="use_dpop_nonce"` and whose `DPoP-Nonce` header holds the nonce (RFC 9449 §8).
 */
export function nonceChallenge(response: Response): string | undefined {
  if (response.status !== 401) return undefined;
  const challenge = response.headers.get('www-authenticate') ?? '';
  if (!/(^|[\s,])DPoP\s/i.test(challenge) || !/error\s*=\s*"use_dpop_nonce"/.test(challenge))
    return undefined;
  return dpopNonce(response);
}

/** The `DPoP-Nonce` header, when present and of the RFC 9449 §8 nonce syntax (NQCHAR). */
export function dpopNonce(response: Response): string | undefined {
  const nonce = response.headers.get('dpop-nonce');
  return nonce !== null && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(nonce) ? nonce : undefined;
}

/** Drops a response body we will not read, so its connection is released. */
export async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // already consumed or errored: nothing to release
  }
}
