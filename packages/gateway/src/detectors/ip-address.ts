// Classifies one IP address for egress decisions, seeing through IPv4 embedded in IPv6 (RFC 4291 §2.5.5, RFC 6052, RFC 3056); ranges from ipaddr.js (IANA special-purpose registries).
import ipaddr from 'ipaddr.js';

/** Where an address points, as far as an egress decision cares. */
export type AddressClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'carrier-grade-nat'
  | 'unique-local';

/** An address with its class; `embedded` is the IPv4 address an IPv6 form carries, or ''. */
export type ClassifiedAddress = {
  readonly address: string;
  readonly family: 4 | 6;
  readonly zoneId: string;
  readonly embedded: string;
  readonly addressClass: AddressClass;
  readonly cloudMetadata: boolean;
};

/** A parsed `allowPrivate` entry. */
export type Cidr = readonly [ipaddr.IPv4 | ipaddr.IPv6, number];

type ParsedIp = ipaddr.IPv4 | ipaddr.IPv6;

// Cloud instance-metadata and host-agent endpoints: AWS/GCP/Azure/OpenStack/DigitalOcean
// 169.254.169.254, AWS ECS 169.254.170.2, AWS IPv6 fd00:ec2::254, GCP IPv6 fd20:ce::254,
// Alibaba 100.100.100.200, Azure WireServer 168.63.129.16, Oracle Cloud Classic 192.0.0.192.
const METADATA_ADDRESSES: ReadonlySet<string> = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '100.100.100.200',
  '168.63.129.16',
  '192.0.0.192',
  'fd00:ec2::254',
  'fd20:ce::254',
]);

const IPV4_CLASSES: Readonly<Record<string, AddressClass>> = {
  unicast: 'public',
  private: 'private',
  loopback: 'loopback',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  carrierGradeNat: 'carrier-grade-nat',
};

const IPV6_CLASSES: Readonly<Record<string, AddressClass>> = {
  loopback: 'loopback',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
  uniqueLocal: 'unique-local',
};

// Only 2000::/3 is allocated as global unicast (RFC 4291 §2.4); the rest counts as reserved.
const GLOBAL_UNICAST: Cidr = ipaddr.IPv6.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN: Cidr = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const SIX_TO_FOUR: Cidr = ipaddr.IPv6.parseCIDR('2002::/16');

/**
 * Parses an address in canonical text only: dotted four-part decimal IPv4, or IPv6 with an
 * optional `%zone`. Returns undefined for anything else (callers normalize other encodings first,
 * through the WHATWG URL host parser).
 */
export function parseAddress(text: string): ParsedIp | undefined {
  // Pre-check the shape: ipaddr.js validates by throwing, which is slow for every host name.
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(text)) {
    return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : undefined;
  }
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

/** The IPv4 address an IPv6 address stands for, when it embeds one the network will route to. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = ip.parts;
  const low = (): ipaddr.IPv4 =>
    new ipaddr.IPv4([(p[6] ?? 0) >> 8, (p[6] ?? 0) & 0xff, (p[7] ?? 0) >> 8, (p[7] ?? 0) & 0xff]);
  const zeros = (from: number, to: number): boolean => p.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d mapped (RFC 4291 §2.5.5.2) and ::ffff:0:a.b.c.d translated (RFC 6145).
  if (zeros(0, 5) && p[5] === 0xffff) return low();
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return low();
  // ::a.b.c.d IPv4-compatible (RFC 4291 §2.5.5.1, deprecated but still routed by some stacks);
  // :: and ::1 are themselves.
  if (zeros(0, 6) && !(p[6] === 0 && (p[7] === 0 || p[7] === 1))) return low();
  // NAT64 well-known prefix (RFC 6052 §2.1): the translator connects to the embedded address.
  if (ip.match(NAT64_WELL_KNOWN[0], NAT64_WELL_KNOWN[1])) return low();
  // 6to4 (RFC 3056 §2): 2002:AABB:CCDD::/48 routes through the relay at AA.BB.CC.DD.
  if (ip.match(SIX_TO_FOUR[0], SIX_TO_FOUR[1])) {
    const a = p[1] ?? 0;
    const b = p[2] ?? 0;
    return new ipaddr.IPv4([a >> 8, a & 0xff, b >> 8, b & 0xff]);
  }
  return undefined;
}

function classOf(ip: ParsedIp): AddressClass {
  if (ip.kind() === 'ipv4') return IPV4_CLASSES[ip.range()] ?? 'reserved';
  const range = ip.range();
  const named = IPV6_CLASSES[range];
  if (named !== undefined) return named;
  // Teredo, 64:ff9b:1::/48 local NAT64, ORCHID, discard and the like: not a plain destination.
  if (range !== 'unicast') return 'reserved';
  return ip.match(GLOBAL_UNICAST[0], GLOBAL_UNICAST[1]) ? 'public' : 'reserved';
}

function text(ip: ParsedIp): string {
  return ip.kind() === 'ipv4' ? ip.toString() : (ip as ipaddr.IPv6).toRFC5952String();
}

/** Classifies a parsed address; for IPv6 forms that embed IPv4, the embedded address decides. */
export function classifyAddress(ip: ParsedIp): ClassifiedAddress {
  const family = ip.kind() === 'ipv4' ? 4 : 6;
  const zoneId = ip.kind() === 'ipv6' ? ((ip as ipaddr.IPv6).zoneId ?? '') : '';
  const address = text(family === 6 ? new ipaddr.IPv6((ip as ipaddr.IPv6).parts) : ip);
  const inner = family === 6 ? embeddedIPv4(ip as ipaddr.IPv6) : undefined;
  const effective = inner ?? ip;
  const cloudMetadata = METADATA_ADDRESSES.has(address) || METADATA_ADDRESSES.has(text(effective));
  return {
    address,
    family,
    zoneId,
    embedded: inner === undefined ? '' : inner.toString(),
    addressClass: cloudMetadata ? 'metadata' : classOf(effective),
    cloudMetadata,
  };
}

/**
 * Parses `allowPrivate` entries: CIDRs or single addresses. Entries that do not parse are
 * dropped, so they never widen what is allowed (validate them in config/).
 */
export function parseCidrs(entries: readonly string[]): Cidr[] {
  const out: Cidr[] = [];
  for (const entry of entries) {
    const value = entry.trim();
    try {
      if (ipaddr.isValidCIDR(value)) out.push(ipaddr.parseCIDR(value));
      else if (ipaddr.isValid(value)) {
        const ip = ipaddr.parse(value);
        out.push([ip, ip.kind() === 'ipv4' ? 32 : 128]);
      }
    } catch {
      // A malformed entry grants nothing.
    }
  }
  return out;
}

function matches(ip: ParsedIp, cidrs: readonly Cidr[], exactOnly: boolean): boolean {
  return cidrs.some(([net, bits]) => {
    if (net.kind() !== ip.kind()) return false;
    if (exactOnly && bits !== (ip.kind() === 'ipv4' ? 32 : 128)) return false;
    return ip.kind() === 'ipv4'
      ? (ip as ipaddr.IPv4).match(net as ipaddr.IPv4, bits)
      : (ip as ipaddr.IPv6).match(net as ipaddr.IPv6, bits);
  });
}

/**
 * Whether a non-public address is covered by `allowPrivate`. The address itself or the IPv4 it
 * embeds may match. A metadata endpoint MUST be named exactly (/32 or /128); a wider range such as
 * 169.254.0.0/16 never opens it.
 */
export function insideAllowPrivate(addr: ClassifiedAddress, cidrs: readonly Cidr[]): boolean {
  if (cidrs.length === 0) return false;
  const exactOnly = addr.cloudMetadata;
  const own = ipaddr.parse(addr.address);
  if (matches(own, cidrs, exactOnly)) return true;
  return addr.embedded !== '' && matches(ipaddr.parse(addr.embedded), cidrs, exactOnly);
}
