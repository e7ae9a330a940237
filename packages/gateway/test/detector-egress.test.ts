// Egress detector: one named test per IP encoding, host trick and look-alike, DNS pinning against rebinding, and property tests.
import { createServer } from 'node:http';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Facts } from '../src/detectors/detector.js';
import {
  detectEgress,
  MAX_EGRESS_TARGET_LENGTH,
  pinnedLookup,
  resolveEgress,
  toolNameConfusable,
  type EgressFacts,
  type EgressLookup,
  type EgressPolicy,
} from '../src/detectors/egress.js';
import { ZtError } from '../src/errors.js';
import { systemLookup } from '../src/guard/system-lookup.js';

const POLICY: EgressPolicy = {
  allowHosts: ['api.example.com', '*.corp.example', 'paypal.com'],
  allowedSchemes: ['https', 'http'],
};

function facts(target: string, policy: EgressPolicy = POLICY): EgressFacts {
  return detectEgress(target, policy);
}

function expectLoopback(target: string, canonical = '127.0.0.1'): EgressFacts {
  const f = facts(target);
  expect(f).toMatchObject({
    parseError: false,
    ipLiteral: true,
    addressClass: 'loopback',
    allowed: false,
    listed: false,
  });
  expect(f.embeddedAddress === '' ? f.address : f.embeddedAddress).toBe(canonical);
  return f;
}

describe('detectEgress: every textual IPv4 encoding reaches the same address', () => {
  it('canonical dotted decimal 127.0.0.1 (not flagged non-canonical)', () => {
    expect(expectLoopback('http://127.0.0.1/').nonCanonicalIp).toBe(false);
  });
  it('single decimal integer http://2130706433/', () => {
    expect(expectLoopback('http://2130706433/').nonCanonicalIp).toBe(true);
  });
  it('octal http://0177.0.0.1/', () => {
    expect(expectLoopback('http://0177.0.0.1/').nonCanonicalIp).toBe(true);
  });
  it('hex octet http://0x7f.0.0.1/', () => {
    expect(expectLoopback('http://0x7f.0.0.1/').nonCanonicalIp).toBe(true);
  });
  it('upper-case hex http://0X7F.0.0.1/', () => {
    expectLoopback('http://0X7F.0.0.1/');
  });
  it('single hex integer http://0x7f000001/', () => {
    expectLoopback('http://0x7f000001/');
  });
  it('short form two parts http://127.1/', () => {
    expectLoopback('http://127.1/');
  });
  it('short form three parts http://127.0.1/', () => {
    expectLoopback('http://127.0.1/');
  });
  it('mixed octal/hex/decimal parts http://0x7f.0.00.1/', () => {
    expectLoopback('http://0x7f.0.00.1/');
  });
  it('trailing dot http://127.0.0.1./', () => {
    expect(expectLoopback('http://127.0.0.1./').nonCanonicalIp).toBe(true);
  });
  it('percent-encoded host http://%31%32%37.0.0.1/', () => {
    expect(expectLoopback('http://%31%32%37.0.0.1/').nonCanonicalIp).toBe(true);
  });
  it('full-width digits and dots http://１２７．０．０．１/', () => {
    expectLoopback('http://１２７．０．０．１/');
  });
  it('tab and newline inside the URL are removed as WHATWG does', () => {
    expectLoopback('ht\ttp://127.0.\n0.1/');
  });
  it('bare host without scheme 0x7f.1:8080', () => {
    expect(expectLoopback('0x7f.1:8080')).toMatchObject({ scheme: '', port: 8080 });
  });
  it('non-special scheme opaque host gopher://0x7f000001/ is normalized too', () => {
    expectLoopback('gopher://0x7f000001/');
  });
  it('0 and 0.0.0.0 are unspecified (Linux connects them to localhost)', () => {
    expect(facts('http://0/')).toMatchObject({ address: '0.0.0.0', addressClass: 'unspecified' });
    expect(facts('http://0.0.0.0:8080/').addressClass).toBe('unspecified');
  });
  it('out-of-range and five-part numeric hosts are parse errors, not host names', () => {
    expect(facts('http://256.1.1.1/').parseError).toBe(true);
    expect(facts('http://1.2.3.4.5/').parseError).toBe(true);
  });
});

describe('detectEgress: IPv6 forms', () => {
  it('[::1] loopback', () => {
    expect(facts('http://[::1]/')).toMatchObject({
      host: '[::1]',
      address: '::1',
      addressClass: 'loopback',
      ipLiteral: true,
    });
  });
  it('uncompressed [0:0:0:0:0:0:0:1] is non-canonical loopback', () => {
    expect(facts('http://[0:0:0:0:0:0:0:1]/')).toMatchObject({
      address: '::1',
      addressClass: 'loopback',
      nonCanonicalIp: true,
    });
  });
  it('IPv4-mapped dotted [::ffff:127.0.0.1]', () => {
    expect(expectLoopback('http://[::ffff:127.0.0.1]/').address).toBe('::ffff:7f00:1');
  });
  it('IPv4-mapped hex [::ffff:7f00:1]', () => {
    expectLoopback('http://[::ffff:7f00:1]/');
  });
  it('IPv4-mapped long form [0:0:0:0:0:ffff:127.0.0.1]', () => {
    expectLoopback('http://[0:0:0:0:0:ffff:127.0.0.1]/');
  });
  it('IPv4-mapped upper-case [::FFFF:7F00:1]', () => {
    expectLoopback('http://[::FFFF:7F00:1]/');
  });
  it('IPv4-compatible [::127.0.0.1]', () => {
    expectLoopback('http://[::127.0.0.1]/');
  });
  it('IPv4-translated (RFC 6145) [::ffff:0:127.0.0.1]', () => {
    expectLoopback('http://[::ffff:0:127.0.0.1]/');
  });
  it('NAT64 well-known prefix [64:ff9b::127.0.0.1]', () => {
    expectLoopback('http://[64:ff9b::127.0.0.1]/');
  });
  it('NAT64 of a public IPv4 is public (near miss)', () => {
    expect(facts('http://[64:ff9b::8.8.8.8]/')).toMatchObject({
      embeddedAddress: '8.8.8.8',
      addressClass: 'public',
    });
  });
  it('6to4 [2002:7f00:1::] embeds 127.0.0.1', () => {
    expectLoopback('http://[2002:7f00:1::]/');
  });
  it('6to4 of 169.254.169.254 is metadata', () => {
    expect(facts('http://[2002:a9fe:a9fe::1]/')).toMatchObject({
      addressClass: 'metadata',
      cloudMetadata: true,
    });
  });
  it('zone id per RFC 6874 [fe80::1%25eth0]', () => {
    expect(facts('http://[fe80::1%25eth0]:8080/')).toMatchObject({
      parseError: false,
      host: '[fe80::1]',
      address: 'fe80::1',
      zoneId: 'eth0',
      port: 8080,
      addressClass: 'link-local',
      nonCanonicalIp: false,
      allowed: false,
    });
  });
  it('zone id without %25 [fe80::1%eth0]', () => {
    expect(facts('http://[fe80::1%eth0]/')).toMatchObject({
      zoneId: 'eth0',
      addressClass: 'link-local',
    });
  });
  it('zone id with hostile characters is a parse error', () => {
    expect(facts('http://[fe80::1%25a/b]/').parseError).toBe(true);
  });
  it('unique-local fc00::/7 and multicast ff02::1', () => {
    expect(facts('http://[fd12:3456::1]/').addressClass).toBe('unique-local');
    expect(facts('http://[ff02::1]/').addressClass).toBe('multicast');
  });
  it('documentation 2001:db8::/32 and unallocated 4000::/3 are reserved', () => {
    expect(facts('http://[2001:db8::1]/').addressClass).toBe('reserved');
    expect(facts('http://[4000::1]/').addressClass).toBe('reserved');
  });
  it('global unicast 2606:4700::1111 is public', () => {
    expect(facts('http://[2606:4700::1111]/').addressClass).toBe('public');
  });
  it('unterminated bracket is a parse error', () => {
    expect(facts('http://[::1/').parseError).toBe(true);
  });
});

describe('detectEgress: address classes and cloud metadata', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['8.8.8.8', 'public'],
  ])('%s is %s', (ip, cls) => {
    expect(facts(`https://${ip}/`).addressClass).toBe(cls);
  });
  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://2852039166/',
    'http://0xa9.0xfe.0xa9.0xfe/',
    'http://[::ffff:169.254.169.254]/',
    'http://[fd00:ec2::254]/',
    'http://[FD00:EC2:0::254]/',
    'http://100.100.100.200/',
    'http://169.254.170.2/v2/credentials',
    'http://168.63.129.16/',
  ])('metadata endpoint %s', (target) => {
    expect(facts(target)).toMatchObject({
      addressClass: 'metadata',
      cloudMetadata: true,
      allowed: false,
    });
  });
  it.each(['metadata.google.internal', 'METADATA.google.internal.', 'metadata', 'instance-data'])(
    'metadata host name %s',
    (host) => {
      expect(facts(`http://${host}/computeMetadata/v1/`)).toMatchObject({
        addressClass: 'metadata',
        cloudMetadata: true,
        ipLiteral: false,
      });
    },
  );
  it('metadata is never opened by a wide allowPrivate range, only by the exact address', () => {
    const policy = { ...POLICY, allowHosts: ['169.254.169.254', '169.254.1.1'] };
    const wide = { ...policy, allowPrivate: ['169.254.0.0/16'] };
    expect(facts('http://169.254.1.1/', wide).allowed).toBe(true);
    expect(facts('http://169.254.169.254/', wide).allowed).toBe(false);
    const exact = { ...policy, allowPrivate: ['169.254.169.254/32'] };
    expect(facts('http://169.254.169.254/', exact).allowed).toBe(true);
  });
  it('localhost and *.localhost are loopback without DNS (RFC 6761)', () => {
    const policy = { ...POLICY, allowHosts: ['localhost', 'app.localhost'] };
    expect(facts('http://localhost:3000/', policy)).toMatchObject({
      addressClass: 'loopback',
      listed: true,
      allowed: false,
    });
    expect(facts('http://app.localhost/', policy).addressClass).toBe('loopback');
    const opened = { ...policy, allowPrivate: ['127.0.0.0/8'] };
    expect(facts('http://localhost:3000/', opened).allowed).toBe(true);
  });
});

describe('detectEgress: host tricks', () => {
  it('userinfo: http://allowed.example@evil.example goes to evil.example', () => {
    const policy = { ...POLICY, allowHosts: ['allowed.example'] };
    expect(facts('http://allowed.example@evil.example/', policy)).toMatchObject({
      host: 'evil.example',
      userinfo: true,
      listed: false,
      allowed: false,
    });
  });
  it('userinfo with password and port-looking user: https://api.example.com:443@evil.example', () => {
    expect(facts('https://api.example.com:443@evil.example/')).toMatchObject({
      host: 'evil.example',
      userinfo: true,
      listed: false,
    });
  });
  it('backslash ends the authority: https://evil.example\\@api.example.com', () => {
    expect(facts('https://evil.example\\@api.example.com/')).toMatchObject({
      host: 'evil.example',
      userinfo: false,
      listed: false,
    });
  });
  it('credentials for a listed host are reported but the host stays listed', () => {
    expect(facts('https://user:secret@api.example.com/')).toMatchObject({
      host: 'api.example.com',
      userinfo: true,
      allowed: true,
    });
  });
  it('suffix confusion: api.example.com.evil.example is not api.example.com', () => {
    expect(facts('https://api.example.com.evil.example/').listed).toBe(false);
  });
  it('wildcard matches subdomains at any depth but not the apex or a look-alike suffix', () => {
    expect(facts('https://a.corp.example/').listed).toBe(true);
    expect(facts('https://a.b.corp.example/').listed).toBe(true);
    expect(facts('https://corp.example/').listed).toBe(false);
    expect(facts('https://evilcorp.example/').listed).toBe(false);
  });
  it('trailing dot and upper case on a host name are normalized', () => {
    expect(facts('https://API.Example.COM./')).toMatchObject({
      host: 'api.example.com',
      listed: true,
      allowed: true,
    });
  });
  it('protocol-relative //evil.example is a bare authority', () => {
    expect(facts('//evil.example/x')).toMatchObject({ host: 'evil.example', listed: false });
  });
  it('scheme without slashes https:evil.example is parsed as WHATWG does', () => {
    expect(facts('https:evil.example').host).toBe('evil.example');
  });
});

describe('detectEgress: schemes and ports', () => {
  it('default allows https only', () => {
    const policy = { allowHosts: ['api.example.com'] };
    expect(detectEgress('https://api.example.com/', policy).allowed).toBe(true);
    expect(detectEgress('http://api.example.com/', policy)).toMatchObject({
      scheme: 'http',
      schemeAllowed: false,
      allowed: false,
    });
  });
  it('file:, ftp: and javascript: are not allowed', () => {
    expect(facts('file:///etc/passwd')).toMatchObject({ scheme: 'file', host: '', allowed: false });
    expect(facts('ftp://api.example.com/').schemeAllowed).toBe(false);
    expect(facts('javascript:alert(1)').allowed).toBe(false);
  });
  it('a non-special scheme without // is a URL of that scheme, not a bare host', () => {
    expect(facts('mailto:a@api.example.com')).toMatchObject({
      scheme: 'mailto',
      host: '',
      allowed: false,
    });
    expect(facts('javascript:alert(1)')).toMatchObject({ scheme: 'javascript', allowed: false });
  });
  it('ports: explicit, scheme default, bare host', () => {
    expect(facts('https://api.example.com/').port).toBe(443);
    expect(facts('http://api.example.com/').port).toBe(80);
    expect(facts('https://api.example.com:8443/').port).toBe(8443);
    expect(facts('api.example.com:80')).toMatchObject({ scheme: '', port: 80, allowed: true });
    expect(facts('api.example.com').port).toBe(0);
  });
});

describe('detectEgress: IDNA and look-alikes', () => {
  it('IDN host is converted to punycode and matches a Unicode allow-list entry', () => {
    const policy = { allowHosts: ['bücher.example'] };
    expect(detectEgress('https://BÜCHER.example/', policy)).toMatchObject({
      host: 'xn--bcher-kva.example',
      idn: true,
      confusable: false,
      listed: true,
      allowed: true,
    });
  });
  it('punycode input is IDN too', () => {
    expect(facts('https://xn--bcher-kva.example/').idn).toBe(true);
  });
  it('Cyrillic а in pаypal.com is a mixed-script look-alike of the listed paypal.com', () => {
    expect(facts('https://pаypal.com/')).toMatchObject({
      host: 'xn--pypal-4ve.com',
      idn: true,
      confusable: true,
      listed: false,
      allowed: false,
    });
  });
  it('all-Cyrillic аррӏе.com is a whole-script look-alike', () => {
    expect(facts('https://аррӏе.com/')).toMatchObject({ idn: true, confusable: true });
  });
  it('ASCII look-alike paypa1.com of a listed host', () => {
    expect(facts('https://paypa1.com/')).toMatchObject({ confusable: true, listed: false });
  });
  it('zero-width space inside a host is removed by IDNA but flagged', () => {
    expect(facts('https://pay\u200bpal.com/')).toMatchObject({
      host: 'paypal.com',
      confusable: true,
    });
  });
  it('full-width letters fold to ASCII and are IDN but not confusable', () => {
    expect(facts('https://ａｐｉ.example.com/')).toMatchObject({
      host: 'api.example.com',
      idn: true,
      confusable: false,
      listed: true,
    });
  });
  it('single-script IDN hosts are not confusable (near misses)', () => {
    for (const host of [
      'münchen.de',
      'москва.рф',
      '例え.jp',
      'ドメイン名例.jp',
      'bücher.example',
    ]) {
      expect(facts(`https://${host}/`).confusable, host).toBe(false);
    }
  });
  it('an unrelated ASCII host is not confusable', () => {
    expect(facts('https://example.org/').confusable).toBe(false);
  });
});

describe('detectEgress: benign near misses and policy entries', () => {
  it('a listed public host is allowed', () => {
    expect(facts('https://api.example.com/v1/x?y=1#z')).toMatchObject({
      parseError: false,
      scheme: 'https',
      host: 'api.example.com',
      port: 443,
      listed: true,
      addressClass: 'unresolved',
      allowed: true,
    });
  });
  it('a private IP that is explicitly allowed is allowed', () => {
    const policy = { allowHosts: ['10.1.2.3'], allowPrivate: ['10.1.2.0/24'] };
    expect(detectEgress('https://10.1.2.3/', policy)).toMatchObject({
      addressClass: 'private',
      privateAllowed: true,
      allowed: true,
    });
    expect(detectEgress('https://10.1.3.3/', policy).allowed).toBe(false);
  });
  it('a private IP allowed by CIDR but not listed is not allowed', () => {
    const policy = { allowHosts: [], allowPrivate: ['10.1.2.0/24'] };
    expect(detectEgress('https://10.1.2.3/', policy)).toMatchObject({
      privateAllowed: true,
      listed: false,
      allowed: false,
    });
  });
  it('the same private IP in another encoding is still matched by allowPrivate', () => {
    const policy = { allowHosts: ['10.1.2.3'], allowPrivate: ['10.1.2.0/24'] };
    expect(detectEgress('https://0xa.1.2.3/', policy).allowed).toBe(true);
  });
  it('IPv6 allow-list entries with or without brackets', () => {
    const policy = { allowHosts: ['::1', '[fd00::1]'], allowPrivate: ['::1', 'fd00::/8'] };
    expect(detectEgress('https://[0:0::1]/', policy).allowed).toBe(true);
    expect(detectEgress('https://[fd00:0::1]/', policy).allowed).toBe(true);
  });
  it('a policy whose arrays change between calls is re-read (no stale compiled policy)', () => {
    const allowHosts = ['a.example'];
    const policy = { allowHosts };
    expect(detectEgress('https://b.example/', policy).listed).toBe(false);
    allowHosts.push('b.example');
    expect(detectEgress('https://b.example/', policy).listed).toBe(true);
  });
  it('malformed policy entries grant nothing', () => {
    const policy = {
      allowHosts: ['*', '*.', 'http://x', 'a b', 'api.example.com:443', ''],
      allowPrivate: ['10.0.0.0/99', 'nonsense'],
    };
    expect(detectEgress('https://api.example.com/', policy).listed).toBe(false);
    expect(detectEgress('https://x/', policy).listed).toBe(false);
    expect(detectEgress('https://10.0.0.1/', policy).privateAllowed).toBe(false);
  });
});

describe('detectEgress: bounds and shape', () => {
  it('refuses a target beyond the size limit with detector-limit', () => {
    const target = `https://a.example/${'a'.repeat(MAX_EGRESS_TARGET_LENGTH)}`;
    expect(() => detectEgress(target, POLICY)).toThrow(ZtError);
    try {
      detectEgress(target, POLICY);
    } catch (error) {
      expect((error as ZtError).code).toBe('detector-limit');
    }
  });
  it('rejects a non-string target with TypeError (misuse)', () => {
    expect(() => detectEgress(42 as unknown as string, POLICY)).toThrow(TypeError);
  });
  it('empty and garbage targets are parse errors', () => {
    for (const target of ['', '   ', 'http://', 'http://a b/', 'http://[', '::::']) {
      expect(facts(target).parseError, target).toBe(true);
    }
  });
  it('facts are Cedar-friendly data', () => {
    const f: Facts = facts('https://api.example.com/');
    expect(isCedarFriendly(f)).toBe(true);
  });
});

function isCedarFriendly(value: unknown): boolean {
  if (typeof value === 'boolean' || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isSafeInteger(value);
  if (Array.isArray(value)) return value.every(isCedarFriendly);
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).every(isCedarFriendly);
  }
  return false;
}

function fixedLookup(map: Record<string, Array<{ address: string; family: 4 | 6 }>>): {
  lookup: EgressLookup;
  calls: string[];
} {
  const calls: string[] = [];
  return {
    calls,
    lookup: async (host) => {
      calls.push(host);
      const answer = map[host];
      if (answer === undefined) throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      return answer;
    },
  };
}

describe('resolveEgress', () => {
  const policy: EgressPolicy = {
    allowHosts: ['api.example.com', '*.nip.io', 'internal.corp'],
    allowPrivate: ['10.1.2.0/24'],
  };

  it('a public answer is allowed and pinned', async () => {
    const { lookup } = fixedLookup({
      'api.example.com': [{ address: '93.184.216.34', family: 4 }],
    });
    const result = await resolveEgress('https://api.example.com/', policy, lookup);
    expect(result.facts).toMatchObject({
      allowed: true,
      resolved: true,
      address: '93.184.216.34',
      addressClass: 'public',
    });
    expect(result.pinned).toEqual({
      host: 'api.example.com',
      port: 443,
      address: '93.184.216.34',
      family: 4,
    });
  });

  it('127.0.0.1.nip.io style: a listed name that resolves to loopback is refused', async () => {
    const { lookup } = fixedLookup({ '127.0.0.1.nip.io': [{ address: '127.0.0.1', family: 4 }] });
    const result = await resolveEgress('https://127.0.0.1.nip.io/', policy, lookup);
    expect(result.facts).toMatchObject({
      allowed: false,
      addressClass: 'loopback',
      ipLiteral: false,
    });
    expect(result.pinned).toBeUndefined();
  });

  it('a name resolving to the metadata address is refused', async () => {
    const { lookup } = fixedLookup({
      'api.example.com': [{ address: '169.254.169.254', family: 4 }],
    });
    const result = await resolveEgress('https://api.example.com/', policy, lookup);
    expect(result.facts).toMatchObject({ allowed: false, cloudMetadata: true });
  });

  it('DNS rebinding, one answer set: public first and private second is refused', async () => {
    const { lookup } = fixedLookup({
      'api.example.com': [
        { address: '93.184.216.34', family: 4 },
        { address: '192.168.0.10', family: 4 },
      ],
    });
    const result = await resolveEgress('https://api.example.com/', policy, lookup);
    expect(result.facts.allowed).toBe(false);
    expect(result.facts.address).toBe('192.168.0.10');
    expect(result.facts.answers.map((a) => a.allowed)).toEqual([true, false]);
    expect(result.pinned).toBeUndefined();
  });

  it('DNS rebinding, consecutive answers: the pinned address is the checked one', async () => {
    const answers = ['93.184.216.34', '127.0.0.1'];
    let call = 0;
    const lookup: EgressLookup = async () => [
      { address: answers[call++] ?? '127.0.0.1', family: 4 },
    ];
    const first = await resolveEgress('https://api.example.com/', policy, lookup);
    expect(first.facts.allowed).toBe(true);
    expect(first.pinned?.address).toBe('93.184.216.34');
    // The connection uses the pinned lookup, never the resolver again.
    const pinned = pinnedLookup(first);
    const seen = await new Promise<string>((resolve, reject) =>
      pinned('api.example.com', {}, (err, address) =>
        err === null ? resolve(String(address)) : reject(err),
      ),
    );
    expect(seen).toBe('93.184.216.34');
    expect(call).toBe(1);
    // A second resolution that now answers loopback is refused.
    const second = await resolveEgress('https://api.example.com/', policy, lookup);
    expect(second.facts).toMatchObject({ allowed: false, addressClass: 'loopback' });
    expect(second.pinned).toBeUndefined();
  });

  it('a refused literal is never resolved (no DNS leak for unlisted hosts)', async () => {
    const { lookup, calls } = fixedLookup({});
    const result = await resolveEgress('https://secret-data.evil.example/', policy, lookup);
    expect(result.facts).toMatchObject({ allowed: false, resolved: false, dnsError: '' });
    expect(calls).toEqual([]);
  });

  it('an IP literal is pinned without DNS', async () => {
    const { lookup, calls } = fixedLookup({});
    const result = await resolveEgress(
      'https://0xa.1.2.7/',
      { ...policy, allowHosts: ['10.1.2.7'] },
      lookup,
    );
    expect(result.pinned).toEqual({ host: '10.1.2.7', port: 443, address: '10.1.2.7', family: 4 });
    expect(calls).toEqual([]);
  });

  it('an explicitly allowed private answer is allowed and pinned', async () => {
    const { lookup } = fixedLookup({ 'internal.corp': [{ address: '10.1.2.3', family: 4 }] });
    const result = await resolveEgress('https://internal.corp/', policy, lookup);
    expect(result.facts).toMatchObject({ allowed: true, privateAllowed: true });
    expect(result.pinned?.address).toBe('10.1.2.3');
  });

  it('a link-local answer with a zone is classified and, when allowed, pinned with its zone', async () => {
    const { lookup } = fixedLookup({ 'internal.corp': [{ address: 'fe80::1%eth0', family: 6 }] });
    const denied = await resolveEgress('https://internal.corp/', policy, lookup);
    expect(denied.facts).toMatchObject({ allowed: false, addressClass: 'link-local' });
    const opened = { ...policy, allowPrivate: ['fe80::/10'] };
    const allowed = await resolveEgress('https://internal.corp/', opened, lookup);
    expect(allowed.pinned).toMatchObject({ address: 'fe80::1%eth0', family: 6 });
  });

  it.each([
    ['not found', undefined, 'not-found'],
    ['empty answer', [], 'no-address'],
    ['family mismatch', [{ address: '10.1.2.3', family: 6 }], 'invalid-answer'],
    ['not an address', [{ address: 'evil', family: 4 }], 'invalid-answer'],
    ['non-canonical address', [{ address: '0x7f.1', family: 4 }], 'invalid-answer'],
    [
      'too many answers',
      Array(65).fill({ address: '93.184.216.34', family: 4 }),
      'too-many-answers',
    ],
  ])('DNS failure: %s', async (_name, answer, dnsError) => {
    const lookup = (async () => {
      if (answer === undefined) throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      return answer;
    }) as EgressLookup;
    const result = await resolveEgress('https://api.example.com/', policy, lookup);
    expect(result.facts).toMatchObject({ allowed: false, dnsError, resolved: false });
    expect(result.pinned).toBeUndefined();
  });

  it('DNS failure: resolver error without a code is failed', async () => {
    const lookup: EgressLookup = async () => {
      throw new Error('boom');
    };
    const result = await resolveEgress('https://api.example.com/', policy, lookup);
    expect(result.facts.dnsError).toBe('failed');
  });

  it('DNS failure: timeout', async () => {
    const lookup: EgressLookup = () => new Promise(() => undefined);
    const result = await resolveEgress('https://api.example.com/', policy, lookup, {
      timeoutMs: 20,
    });
    expect(result.facts).toMatchObject({ allowed: false, dnsError: 'timeout' });
  });

  it('the system resolver (dns.promises.lookup) resolves localhost from the hosts file', async () => {
    const result = await resolveEgress(
      'http://localhost:1/',
      { allowHosts: ['localhost'], allowedSchemes: ['http'], allowPrivate: ['127.0.0.0/8', '::1'] },
      systemLookup,
    );
    expect(result.facts).toMatchObject({ resolved: true, addressClass: 'loopback', allowed: true });
    expect(result.facts.answers.length).toBeGreaterThan(0);
  });

  it('pinnedLookup: http.request connects to the pinned address, whatever DNS would say', async () => {
    const server = createServer((req, res) => res.end(`host=${req.headers.host ?? ''}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const { lookup } = fixedLookup({ 'svc.test': [{ address: '127.0.0.1', family: 4 }] });
      const result = await resolveEgress(
        `http://svc.test:${port}/`,
        { allowHosts: ['svc.test'], allowedSchemes: ['http'], allowPrivate: ['127.0.0.1/32'] },
        lookup,
      );
      const body = await new Promise<string>((resolve, reject) => {
        get(`http://svc.test:${port}/`, { lookup: pinnedLookup(result) }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(body).toBe(`host=svc.test:${port}`);
      // A different host name (e.g. after a redirect) is refused by the pinned lookup.
      await expect(
        new Promise((resolve, reject) =>
          get(`http://other.test:${port}/`, { lookup: pinnedLookup(result) }, resolve).on(
            'error',
            reject,
          ),
        ),
      ).rejects.toMatchObject({ code: 'ENOTFOUND' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('pinnedLookup refuses a denied result (misuse)', async () => {
    const result = await resolveEgress('https://evil.example/', policy, fixedLookup({}).lookup);
    expect(() => pinnedLookup(result)).toThrow(TypeError);
  });
});

describe('toolNameConfusable', () => {
  const known = ['read_file', 'write_file', 'list_directory'];
  it('Cyrillic і in read_fіle imitates read_file', () => {
    expect(toolNameConfusable('read_fіle', known)).toBe(true);
  });
  it('zero-width space in read\u200b_file', () => {
    expect(toolNameConfusable('read\u200b_file', known)).toBe(true);
  });
  it('right-to-left override in a tool name', () => {
    expect(toolNameConfusable('read_\u202efile', known)).toBe(true);
  });
  it('digit look-alike read_fi1e and full-width ｒｅａｄ_file', () => {
    expect(toolNameConfusable('read_fi1e', known)).toBe(true);
    expect(toolNameConfusable('ｒｅａｄ_file', known)).toBe(true);
  });
  it('mixed-script name that imitates nothing known', () => {
    expect(toolNameConfusable('dеlete_all', known)).toBe(true);
  });
  it('near misses: a known name, an unrelated ASCII name, a single-script non-Latin name', () => {
    expect(toolNameConfusable('read_file', known)).toBe(false);
    expect(toolNameConfusable('search_files', known)).toBe(false);
    expect(toolNameConfusable('read-file', known)).toBe(false);
    expect(toolNameConfusable('検索', known)).toBe(false);
  });
});

describe('properties', () => {
  const tricky = fc.constantFrom(
    'http://',
    'https://',
    '//',
    'http:\\\\',
    '[',
    ']',
    '%25',
    '@',
    ':',
    '0x',
    '.',
    'xn--',
    '\u200b',
    'а',
    '::ffff:',
  );
  const target = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc
      .array(fc.oneof(tricky, fc.string({ maxLength: 6 })), { maxLength: 12 })
      .map((parts) => parts.join('')),
  );

  it('never throws on arbitrary strings and always returns Cedar-friendly facts', () => {
    fc.assert(
      fc.property(target, (input) => {
        const f = detectEgress(input, POLICY);
        expect(isCedarFriendly(f)).toBe(true);
        if (f.allowed) expect(f.listed && f.schemeAllowed && !f.parseError).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(target, (input) => {
        expect(detectEgress(input, POLICY)).toEqual(detectEgress(input, POLICY));
      }),
      { numRuns: 500 },
    );
  });

  it('every IPv4 address, in decimal, hex and octal integer form, classifies like its dotted form', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const dotted = [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
        const expected = facts(`http://${dotted}/`);
        for (const form of [String(n), `0x${n.toString(16)}`, `0${n.toString(8)}`]) {
          const f = facts(`http://${form}/`);
          expect(f.address).toBe(dotted);
          expect(f.addressClass).toBe(expected.addressClass);
        }
        const mapped = facts(`http://[::ffff:${dotted}]/`);
        expect(mapped.embeddedAddress).toBe(dotted);
        expect(mapped.addressClass).toBe(expected.addressClass);
      }),
      { numRuns: 1000 },
    );
  });

  it('resolveEgress never allows when any answer is non-public and not explicitly allowed', async () => {
    const address = fc.oneof(fc.ipV4(), fc.ipV6());
    await fc.assert(
      fc.asyncProperty(fc.array(address, { minLength: 1, maxLength: 5 }), async (addresses) => {
        const lookup: EgressLookup = async () =>
          addresses.map((a) => ({ address: a, family: a.includes(':') ? 6 : 4 }));
        const result = await resolveEgress('https://api.example.com/', POLICY, lookup);
        const classes = result.facts.answers.map((a) => a.addressClass);
        if (result.facts.allowed) {
          expect(classes.every((c) => c === 'public')).toBe(true);
          expect(result.pinned?.address).toBe(result.facts.answers[0]?.address);
        } else {
          expect(result.pinned).toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });
});
