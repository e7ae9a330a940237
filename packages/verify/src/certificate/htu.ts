// The `htu` comparison form (RFC 9449 §4.3 check 9, §4.2): scheme, authority and path; no query, no fragment.
import { VerifyError } from '../errors.js';
import { assertString } from '../checks.js';
import { MAX_TOKEN_CHARS } from './decode-jws.js';

interface UrlLike {
  protocol: string;
  host: string;
  pathname: string;
}
// The WHATWG URL parser of the runtime (Node and browsers); typed here as this package builds without DOM types.
const Url = (globalThis as unknown as { URL: new (input: string) => UrlLike }).URL;

/**
 * Normalises an HTTP(S) URL for `htu` comparison: `scheme://host[:port]/path` with scheme and
 * host lower-cased, default ports removed and the path normalised by the WHATWG URL parser
 * (dot segments, percent-encoding); query, fragment and user info dropped. Throws VerifyError
 * `token-malformed` for a string that is not an absolute http or https URL (or is over 8 KiB),
 * TypeError for a non-string.
 */
export function normalizeHtu(url: string): string {
  assertString(url, 'url');
  if (url.length > MAX_TOKEN_CHARS) throw new VerifyError('token-malformed');
  let u: UrlLike;
  try {
    u = new Url(url);
  } catch {
    throw new VerifyError('token-malformed');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new VerifyError('token-malformed');
  return `${u.protocol}//${u.host}${u.pathname}`;
}
