// Egress detector: where a URL or host really points, parsed the way clients parse it (WHATWG URL host parser, RFC 3986 authority, RFC 6874 zone ids, ipaddr.js ranges), then checked against an allow-list.
import type { LookupFunction } from 'node:net';
import { domainToUnicode } from 'node:url';
import { ZtError } from '../errors.js';
import { hasInvisible, looksDeceptive, skeleton } from './confusable.js';
import {
  classifyAddress,
  insideAllowPrivate,
  parseAddress,
  parseCidrs,
  type AddressClass,
  type Cidr,
  type ClassifiedAddress,
} from './ip-address.js';

/** Longest target accepted; longer input is refused with `detector-limit`. */
export const MAX_EGRESS_TARGET_LENGTH = 8192;
/** Most DNS answers classified for one host; more is treated as a failed resolution. */
export const MAX_DNS_ANSWERS = 64;
/** Default bound on one DNS resolution. */
export const DEFAULT_DNS_TIMEOUT_MS = 5000;
const DEFAULT_SCHEMES: readonly string[] = ['https'];

/** What the gateway may reach. Entries that do not parse never match (fail closed). */
export type EgressPolicy = {
  /** Exact hosts (`api.example.com`, `10.1.2.3`, `[::1]`) or `*.example.com` (any depth of subdomain, not the apex). */
  readonly allowHosts: readonly string[];
  /** CIDRs or addresses whose non-public addresses are explicitly allowed, e.g. `10.1.2.0/24`. */
  readonly allowPrivate?: readonly string[];
  /** Allowed URL schemes; default `['https']`. */
  readonly allowedSchemes?: readonly string[];
};

/** `addressClass` of a host name whose address is not known without DNS. */
export type EgressAddressClass = AddressClass | 'unresolved';

/** Facts about one egress target (stable shape: every key is always present). */
export type EgressFacts = {
  /** The target is not a parsable URL or host. */
  readonly parseError: boolean;
  /** Lower-case scheme without `:`; `''` for a bare `host[:port]`. */
  readonly scheme: string;
  /** The scheme is in `allowedSchemes` (a bare host has no scheme to refuse). */
  readonly schemeAllowed: boolean;
  /** ASCII (punycode) lower-case host without trailing dot; IPv6 in brackets, RFC 5952 form. */
  readonly host: string;
  /** Explicit port, else the scheme's default, else 0. */
  readonly port: number;
  /** The URL carried `user[:pass]@` (e.g. `http://allowed.example@evil.example`). */
  readonly userinfo: boolean;
  /** The host is an IP address in any textual encoding. */
  readonly ipLiteral: boolean;
  /** An IP host written other than canonically: decimal, octal, hex, short, padded, percent-encoded… */
  readonly nonCanonicalIp: boolean;
  /** Normalized IP when known (IP host, or the decisive DNS answer); `''` otherwise. */
  readonly address: string;
  /** IPv4 carried inside an IPv6 address (mapped, compatible, NAT64, 6to4); `''` otherwise. */
  readonly embeddedAddress: string;
  /** RFC 6874 zone id of an IPv6 literal; `''` otherwise. */
  readonly zoneId: string;
  /** Class of `address`, or of a special name (`localhost`, metadata names); `unresolved` otherwise. */
  readonly addressClass: EgressAddressClass;
  /** A cloud instance-metadata endpoint, by address or by name. */
  readonly cloudMetadata: boolean;
  /** The (non-public) address lies inside `allowPrivate`. */
  readonly privateAllowed: boolean;
  /** The host is internationalized: non-ASCII input or a punycode label. */
  readonly idn: boolean;
  /** The host looks like something else: invisible characters, mixed or whole-script look-alikes, or a look-alike of an allowed host. */
  readonly confusable: boolean;
  /** The host matches `allowHosts`. */
  readonly listed: boolean;
  /** Scheme allowed AND listed AND address public or inside `allowPrivate`. */
  readonly allowed: boolean;
};

/** Why resolution failed; `''` when it did not fail. */
export type DnsError =
  '' | 'not-found' | 'failed' | 'timeout' | 'no-address' | 'too-many-answers' | 'invalid-answer';

/** One classified DNS answer. */
export type EgressAnswer = {
  readonly address: string;
  readonly family: 4 | 6;
  readonly addressClass: AddressClass;
  readonly allowed: boolean;
};

/** Facts after resolution: `address`/`addressClass` describe the decisive answer. */
export type ResolvedEgressFacts = EgressFacts & {
  /** Addresses are known (IP literal, or DNS answered). */
  readonly resolved: boolean;
  readonly dnsError: DnsError;
  /** Every answer, each classified; `allowed` needs all of them allowed. */
  readonly answers: readonly EgressAnswer[];
};

/** The one address the gateway may connect to. */
export type PinnedAddress = {
  readonly host: string;
  readonly port: number;
  /** Normalized address, with `%zone` for a scoped IPv6 address. */
  readonly address: string;
  readonly family: 4 | 6;
};

/** Result of {@link resolveEgress}; `pinned` is set exactly when `facts.allowed` is true. */
export type ResolvedEgress = {
  readonly facts: ResolvedEgressFacts;
  readonly pinned: PinnedAddress | undefined;
};

/** A resolver: every address for a host, in the order a client would try them. */
export type EgressLookup = (host: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;

// WHATWG URL "special schemes": their host is parsed as a domain or IP (never opaque).
const SPECIAL_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss', 'ftp', 'file']);
const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  http: 80,
  https: 443,
  ws: 80,
  wss: 443,
  ftp: 21,
};
// Names that reach a metadata service without any IP in the URL (GCP, AWS).
const METADATA_HOSTS: ReadonlySet<string> = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);
const LOOPBACK_V4 = classifyAddress(parseAddress('127.0.0.1') ?? unreachable());

const EMPTY: EgressFacts = {
  parseError: true,
  scheme: '',
  schemeAllowed: false,
  host: '',
  port: 0,
  userinfo: false,
  ipLiteral: false,
  nonCanonicalIp: false,
  address: '',
  embeddedAddress: '',
  zoneId: '',
  addressClass: 'unresolved',
  cloudMetadata: false,
  privateAllowed: false,
  idn: false,
  confusable: false,
  listed: false,
  allowed: false,
};

function unreachable(): never {
  throw new Error('unreachable');
}

type ParsedTarget = {
  scheme: string;
  host: string;
  port: number;
  userinfo: boolean;
  rawHost: string;
  zoneId: string;
};

/**
 * Parses the literal target. A string starting with a special scheme (`http:`…), `scheme://`, or
 * `scheme:` followed by anything but a port is a URL; anything else (`example.com:443`,
 * `10.0.0.1`, `//host/x`) is a bare `host[:port]`, parsed as an http authority so that its host
 * goes through the same WHATWG host parser.
 */
function parseTarget(target: string): ParsedTarget | undefined {
  // WHATWG URL: strip leading/trailing C0 controls and space, remove tab and newline anywhere.
  // eslint-disable-next-line no-control-regex
  const cleaned = target.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '').replace(/[\t\n\r]/g, '');
  if (cleaned === '') return undefined;
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(cleaned);
  const candidate = schemeMatch?.[1]?.toLowerCase() ?? '';
  const afterColon = cleaned.slice(candidate.length + 1);
  // "host:8080/x" is a bare authority; "mailto:x" or "gopher://h" is a URL of that scheme.
  const isUrl =
    candidate !== '' &&
    (SPECIAL_SCHEMES.has(candidate) ||
      afterColon.startsWith('//') ||
      !/^\d*(?:[/?#]|$)/.test(afterColon));
  const scheme = isUrl ? candidate : '';
  const special = !isUrl || SPECIAL_SCHEMES.has(scheme);
  let input = isUrl ? cleaned : `http://${cleaned}`;

  const authority = rawAuthority(input, special);
  const rawHostPort = authority.slice(authority.lastIndexOf('@') + 1);

  // RFC 6874: "[fe80::1%25eth0]". WHATWG URL rejects zone ids, so lift it out and parse the rest.
  let zoneId = '';
  const zone = /\[([0-9A-Fa-f:.]+)%(?:25)?([^\]]*)\]/.exec(rawHostPort);
  if (zone !== null) {
    zoneId = safeDecode(zone[2] ?? '');
    if (!/^[A-Za-z0-9._~-]{1,64}$/.test(zoneId)) return undefined;
    input = input.replace(zone[0], `[${zone[1] ?? ''}]`);
  }

  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  let hostname = url.hostname;
  if (!special && hostname !== '') {
    // Opaque host of a non-special scheme: normalize it as a client of that scheme would resolve it.
    try {
      hostname = new URL(`http://${url.host}/`).hostname;
    } catch {
      return undefined;
    }
  }
  const host = canonicalHost(hostname);
  if (host === undefined) return undefined;

  let port = url.port === '' ? (DEFAULT_PORTS[scheme] ?? 0) : Number(url.port);
  if (!isUrl && url.port === '') {
    // The http default port was dropped by the serializer; keep an explicit ":80".
    const explicit = /:(\d{1,5})$/.exec(rawHostPort.replace(/^\[[^\]]*\]/, ''));
    port = explicit === null ? 0 : Number(explicit[1]);
  }
  return {
    scheme,
    host,
    port,
    userinfo: url.username !== '' || url.password !== '' || authority.includes('@'),
    rawHost: stripPort(rawHostPort),
    zoneId,
  };
}

/** The authority as typed (RFC 3986 §3.2), before any decoding; special schemes also end at `\`. */
function rawAuthority(input: string, special: boolean): string {
  const afterScheme = input.slice(input.indexOf(':') + 1);
  let rest: string;
  if (special) rest = afterScheme.replace(/^[/\\]*/, '');
  else if (afterScheme.startsWith('//')) rest = afterScheme.slice(2);
  else return '';
  const end = rest.search(special ? /[/\\?#]/ : /[/?#]/);
  return end === -1 ? rest : rest.slice(0, end);
}

function stripPort(hostPort: string): string {
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    return close === -1 ? hostPort : hostPort.slice(0, close + 1);
  }
  const colon = hostPort.indexOf(':');
  return colon === -1 ? hostPort : hostPort.slice(0, colon);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Lower case, trailing dots removed, IPv6 in brackets in RFC 5952 form; undefined if invalid. */
function canonicalHost(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.+$/, '');
  if (!host.startsWith('[')) return host;
  const ip = parseAddress(host.slice(1, -1));
  return ip === undefined ? undefined : `[${classifyAddress(ip).address}]`;
}

type HostRule = ({ readonly exact: string } | { readonly suffix: string }) & {
  /** Look-alike skeleton of the host or suffix (UTS #39), for the confusable check. */
  readonly skeleton: string;
};

/** Normalizes an `allowHosts` entry through the same host parser as targets. */
function hostRule(entry: string): HostRule | undefined {
  const value = entry.trim();
  const wildcard = value.startsWith('*.');
  const body = wildcard ? value.slice(2) : value;
  if (body === '' || /[/\\?#@\s*]/.test(body)) return undefined;
  let hostname: string;
  if (!body.startsWith('[') && body.includes(':')) {
    if (wildcard || parseAddress(body) === undefined) return undefined;
    hostname = `[${body}]`;
  } else {
    try {
      const url = new URL(`http://${body}/`);
      if (url.port !== '') return undefined;
      hostname = url.hostname;
    } catch {
      return undefined;
    }
  }
  const host = canonicalHost(hostname);
  if (host === undefined || host === '') return undefined;
  const look = skeleton(unicodeHost(host));
  return wildcard ? { suffix: host, skeleton: look } : { exact: host, skeleton: look };
}

function matchesRule(host: string, rule: HostRule): boolean {
  if ('exact' in rule) return host === rule.exact;
  return host.endsWith(`.${rule.suffix}`);
}

/** Labels decoded from punycode, for script analysis. */
function unicodeHost(host: string): string {
  return host.includes('xn--') ? domainToUnicode(host) || host : host;
}

function isConfusable(
  parsed: ParsedTarget,
  ipLiteral: boolean,
  listed: boolean,
  rules: readonly HostRule[],
): boolean {
  const rawDecoded = safeDecode(parsed.rawHost);
  if (hasInvisible(rawDecoded)) return true;
  if (ipLiteral) return false;
  const unicode = unicodeHost(parsed.host);
  // An all-ASCII label can neither mix scripts nor imitate ASCII; only decoded IDN labels can.
  if (unicode !== parsed.host && unicode.split('.').some((label) => looksDeceptive(label))) {
    return true;
  }
  if (listed) return false;
  // A look-alike of an allowed host (UTS #39 skeleton): "pаypal.com" or "paypa1.com" vs "paypal.com".
  const own = skeleton(unicode);
  return rules.some((rule) =>
    'exact' in rule ? rule.skeleton === own : own.endsWith(`.${rule.skeleton}`),
  );
}

type CompiledPolicy = {
  readonly schemes: readonly string[];
  readonly rules: readonly HostRule[];
  readonly cidrs: readonly Cidr[];
};

// Compiled policies by content (not identity, so a caller mutating its arrays is still seen).
const POLICY_CACHE = new Map<string, CompiledPolicy>();
const POLICY_CACHE_SIZE = 64;

/** Normalizes a policy once per distinct content; a pure function of the entries. */
function compilePolicy(policy: EgressPolicy): CompiledPolicy {
  const schemes = policy.allowedSchemes ?? DEFAULT_SCHEMES;
  const allowPrivate = policy.allowPrivate ?? [];
  const key = JSON.stringify([policy.allowHosts, allowPrivate, schemes]);
  const cached = POLICY_CACHE.get(key);
  if (cached !== undefined) return cached;
  const compiled: CompiledPolicy = {
    schemes: schemes.map((s) => s.toLowerCase()),
    rules: policy.allowHosts.flatMap((entry) => hostRule(entry) ?? []),
    cidrs: parseCidrs(allowPrivate),
  };
  if (POLICY_CACHE.size >= POLICY_CACHE_SIZE) {
    const oldest = POLICY_CACHE.keys().next();
    if (oldest.done !== true) POLICY_CACHE.delete(oldest.value);
  }
  POLICY_CACHE.set(key, compiled);
  return compiled;
}

function checkTarget(target: unknown): asserts target is string {
  if (typeof target !== 'string') throw new TypeError('egress target must be a string');
  if (target.length > MAX_EGRESS_TARGET_LENGTH) {
    throw new ZtError('detector-limit', 'egress target exceeds the detector size limit', {
      detail: { limit: MAX_EGRESS_TARGET_LENGTH },
    });
  }
}

type HostAddress = {
  ip: ClassifiedAddress | undefined;
  addressClass: EgressAddressClass;
  cloudMetadata: boolean;
  privateAllowed: boolean;
};

/** What the literal host says about its address, before any DNS. */
function hostAddress(host: string, zoneId: string, cidrs: readonly Cidr[]): HostAddress {
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  const parsed = parseAddress(literal);
  if (parsed !== undefined) {
    const ip = { ...classifyAddress(parsed), zoneId };
    return {
      ip,
      addressClass: ip.addressClass,
      cloudMetadata: ip.cloudMetadata,
      privateAllowed: ip.addressClass !== 'public' && insideAllowPrivate(ip, cidrs),
    };
  }
  if (METADATA_HOSTS.has(host)) {
    return { ip: undefined, addressClass: 'metadata', cloudMetadata: true, privateAllowed: false };
  }
  if (host === 'localhost' || host.endsWith('.localhost')) {
    // RFC 6761 §6.3: always loopback. DNS is still consulted by resolveEgress.
    const allowed = insideAllowPrivate(LOOPBACK_V4, cidrs);
    return {
      ip: undefined,
      addressClass: 'loopback',
      cloudMetadata: false,
      privateAllowed: allowed,
    };
  }
  return { ip: undefined, addressClass: 'unresolved', cloudMetadata: false, privateAllowed: false };
}

function addressOk(addressClass: EgressAddressClass, privateAllowed: boolean): boolean {
  return addressClass === 'public' || addressClass === 'unresolved' || privateAllowed;
}

/**
 * Facts about the literal target, with no I/O.
 *
 * For an IP host (in any encoding WHATWG URL accepts: `2130706433`, `0x7f.1`, `0177.0.0.1`,
 * `[::ffff:7f00:1]`, `[fe80::1%25eth0]`…) the address is known and classified. For a host name
 * the address is not known: `addressClass` is `unresolved` (or `loopback` / `metadata` for names
 * that are always such), and `allowed` covers only the scheme, the allow-list and those names.
 * A gateway that connects MUST use {@link resolveEgress} and connect to its pinned address.
 *
 * @param target URL (`https://host:port/path`) or bare `host[:port]`
 * @throws ZtError `detector-limit` when `target` is longer than {@link MAX_EGRESS_TARGET_LENGTH}
 * @throws TypeError when `target` is not a string
 */
export function detectEgress(target: string, policy: EgressPolicy): EgressFacts {
  checkTarget(target);
  const parsed = parseTarget(target);
  if (parsed === undefined) return EMPTY;
  const { schemes, rules, cidrs } = compilePolicy(policy);

  const { host } = parsed;
  const schemeAllowed = parsed.scheme === '' || schemes.includes(parsed.scheme);
  const listed = host !== '' && rules.some((rule) => matchesRule(host, rule));
  const at = hostAddress(host, parsed.zoneId, cidrs);
  const ipLiteral = at.ip !== undefined;
  const rawLower = parsed.rawHost.toLowerCase();
  return {
    parseError: false,
    scheme: parsed.scheme,
    schemeAllowed,
    host,
    port: parsed.port,
    userinfo: parsed.userinfo,
    ipLiteral,
    nonCanonicalIp:
      ipLiteral &&
      rawLower !== host &&
      rawLower !== host.replace(']', `%25${parsed.zoneId}]`) &&
      rawLower !== host.replace(']', `%${parsed.zoneId}]`),
    address: at.ip?.address ?? '',
    embeddedAddress: at.ip?.embedded ?? '',
    zoneId: parsed.zoneId,
    addressClass: at.addressClass,
    cloudMetadata: at.cloudMetadata,
    privateAllowed: at.privateAllowed,
    idn:
      host.split('.').some((label) => label.startsWith('xn--')) ||
      /[^\p{ASCII}]/u.test(safeDecode(parsed.rawHost)),
    confusable: isConfusable(parsed, ipLiteral, listed, rules),
    listed,
    allowed:
      host !== '' && schemeAllowed && listed && addressOk(at.addressClass, at.privateAllowed),
  };
}

class DnsFailure {
  constructor(readonly reason: Exclude<DnsError, ''>) {}
}

async function lookupBounded(
  lookup: EgressLookup,
  host: string,
  timeoutMs: number,
): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DnsFailure('timeout')), timeoutMs);
  });
  try {
    return await Promise.race([lookup(host), timeout]);
  } catch (error) {
    if (error instanceof DnsFailure) throw error;
    const code = (error as { code?: unknown } | null)?.code;
    throw new DnsFailure(code === 'ENOTFOUND' || code === 'ENODATA' ? 'not-found' : 'failed');
  } finally {
    clearTimeout(timer);
  }
}

/** Validates and classifies a resolver's answers; a malformed answer fails the whole lookup. */
function classifyAnswers(raw: unknown): ClassifiedAddress[] {
  if (!Array.isArray(raw)) throw new DnsFailure('invalid-answer');
  if (raw.length === 0) throw new DnsFailure('no-address');
  if (raw.length > MAX_DNS_ANSWERS) throw new DnsFailure('too-many-answers');
  return raw.map((answer: unknown) => {
    const { address, family } = (answer ?? {}) as { address?: unknown; family?: unknown };
    const ip = typeof address === 'string' ? parseAddress(address) : undefined;
    if (ip === undefined || family !== (ip.kind() === 'ipv4' ? 4 : 6)) {
      throw new DnsFailure('invalid-answer');
    }
    return classifyAddress(ip);
  });
}

function pinnedText(ip: ClassifiedAddress): string {
  return ip.zoneId === '' ? ip.address : `${ip.address}%${ip.zoneId}`;
}

function unresolved(facts: EgressFacts, dnsError: DnsError): ResolvedEgress {
  return {
    facts: { ...facts, allowed: false, resolved: facts.ipLiteral, dnsError, answers: [] },
    pinned: undefined,
  };
}

/**
 * Resolves and classifies the target: the only I/O of the detectors.
 *
 * Contract:
 * - The literal is checked first ({@link detectEgress}); a target that is already refused is NOT
 *   resolved, so a refused host name never leaks into a DNS query.
 * - Every DNS answer is classified; `allowed` MUST be false unless every answer is public or inside
 *   `allowPrivate` (a name that answers public and private at once is refused).
 * - `pinned` is the first answer, the very address that was checked. The caller MUST connect to
 *   `pinned.address` and MUST NOT resolve the name again (that second answer could differ: DNS
 *   rebinding). With Node's http/https pass `lookup: pinnedLookup(result)` (TLS still verifies the
 *   certificate for `pinned.host` via SNI); with undici pass
 *   `new Agent({ connect: { lookup: pinnedLookup(result) } })`; or connect to `pinned.address`
 *   directly and set `servername`/`Host` to `pinned.host`.
 * - DNS failure, timeout or a malformed answer yields `allowed: false` and a `dnsError`; nothing
 *   throws for hostile input.
 *
 * @param lookup resolver; default `dns.promises.lookup(host, { all: true, verbatim: true })`
 * @throws ZtError `detector-limit` when `target` is longer than {@link MAX_EGRESS_TARGET_LENGTH}
 */
export async function resolveEgress(
  target: string,
  policy: EgressPolicy,
  lookup: EgressLookup,
  options: { readonly timeoutMs?: number } = {},
): Promise<ResolvedEgress> {
  const literal = detectEgress(target, policy);
  if (!literal.allowed) return unresolved(literal, '');
  const { cidrs } = compilePolicy(policy);

  let classified: ClassifiedAddress[];
  if (literal.ipLiteral) {
    const own = parseAddress(literal.address) ?? unreachable();
    classified = [{ ...classifyAddress(own), zoneId: literal.zoneId }];
  } else {
    try {
      const raw = await lookupBounded(
        lookup,
        literal.host,
        options.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS,
      );
      classified = classifyAnswers(raw);
    } catch (error) {
      if (error instanceof DnsFailure) return unresolved(literal, error.reason);
      throw error;
    }
  }

  const answers = classified.map((ip) => {
    const privateAllowed = ip.addressClass !== 'public' && insideAllowPrivate(ip, cidrs);
    return { ip, privateAllowed, allowed: addressOk(ip.addressClass, privateAllowed) };
  });
  const decisive = answers.find((a) => !a.allowed) ?? answers[0] ?? unreachable();
  const allowed = answers.every((a) => a.allowed);
  const facts: ResolvedEgressFacts = {
    ...literal,
    address: decisive.ip.address,
    embeddedAddress: decisive.ip.embedded,
    zoneId: decisive.ip.zoneId,
    addressClass: decisive.ip.addressClass,
    cloudMetadata: literal.cloudMetadata || answers.some((a) => a.ip.cloudMetadata),
    privateAllowed: decisive.privateAllowed,
    allowed,
    resolved: true,
    dnsError: '',
    answers: answers.map((a) => ({
      address: pinnedText(a.ip),
      family: a.ip.family,
      addressClass: a.ip.addressClass,
      allowed: a.allowed,
    })),
  };
  const pinned: PinnedAddress | undefined = allowed
    ? {
        host: literal.host,
        port: literal.port,
        address: pinnedText(decisive.ip),
        family: decisive.ip.family,
      }
    : undefined;
  return { facts, pinned };
}

/**
 * A `net`-compatible lookup that answers only with the pinned address, for `http.request`,
 * `https.request`, `tls.connect` or undici's `connect` option. It refuses any other host name, so
 * a redirect to a different host cannot ride on it.
 *
 * @throws TypeError when `resolved` is not allowed (there is nothing to connect to)
 */
export function pinnedLookup(resolved: ResolvedEgress): LookupFunction {
  const pinned = resolved.pinned;
  if (pinned === undefined || !resolved.facts.allowed) {
    throw new TypeError('pinnedLookup needs an allowed, resolved egress target');
  }
  return (hostname, options, callback) => {
    const asked = hostname.toLowerCase().replace(/\.+$/, '');
    if (asked !== pinned.host && `[${asked}]` !== pinned.host) {
      const error: NodeJS.ErrnoException = new Error('host is not the pinned egress target');
      error.code = 'ENOTFOUND';
      callback(error, '');
      return;
    }
    if (options.all === true) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
}

/**
 * Whether a tool name imitates another: invisible or bidi characters anywhere, a name that is not
 * known but has the same look-alike skeleton as a known one ("read_fіle" with Cyrillic і, or
 * "read_fi1e", against "read_file"), or a non-ASCII name mixing scripts or made only of letters
 * that imitate ASCII. A known name, matched exactly, is not confusable unless it hides characters.
 */
export function toolNameConfusable(name: string, knownNames: readonly string[]): boolean {
  if (typeof name !== 'string') throw new TypeError('tool name must be a string');
  if (name.length > MAX_EGRESS_TARGET_LENGTH) {
    throw new ZtError('detector-limit', 'tool name exceeds the detector size limit', {
      detail: { limit: MAX_EGRESS_TARGET_LENGTH },
    });
  }
  if (hasInvisible(name)) return true;
  if (knownNames.includes(name)) return false;
  const own = skeleton(name);
  if (knownNames.some((known) => skeleton(known) === own)) return true;
  return looksDeceptive(name);
}
