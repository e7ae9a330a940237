// The renewal schedule and request sharing of the certificate cache, under a frozen clock.
import { describe, expect, it } from 'vitest';
import { CertificateCache } from '../src/certificate-cache.js';
import type { IssuedCertificate } from '../src/issue-certificate.js';
import { SdkError } from '../src/index.js';

const T0 = 1_800_000_000; // epoch seconds

/** An issuer that issues `ttl`-second certificates at the frozen time, counting its calls. */
function issuer(ttl: number, clock: { seconds: number }) {
  let calls = 0;
  const failures: SdkError[] = [];
  return {
    calls: () => calls,
    failNext: (error: SdkError) => failures.push(error),
    issue: async (): Promise<IssuedCertificate> => {
      calls += 1;
      await Promise.resolve();
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return {
        token: `cert-${calls}`,
        jti: `jti-${calls}`,
        issuedAt: clock.seconds,
        expiresAt: clock.seconds + ttl,
      };
    },
  };
}

function setup(ttl: number, renewBeforeSeconds: number) {
  const clock = { seconds: T0 };
  const source = issuer(ttl, clock);
  const cache = new CertificateCache(source.issue, renewBeforeSeconds, () => clock.seconds * 1000);
  return { clock, source, cache };
}

describe('CertificateCache', () => {
  it('keeps a certificate until less than renewBeforeSeconds remain, then renews it', async () => {
    const { clock, source, cache } = setup(600, 60);
    expect(await cache.get()).toBe('cert-1');
    clock.seconds = T0 + 540; // exactly 60 s left: not yet
    expect(await cache.get()).toBe('cert-1');
    clock.seconds = T0 + 540.5;
    expect(await cache.get()).toBe('cert-2');
    expect(await cache.get()).toBe('cert-2');
    expect(source.calls()).toBe(2);
  });

  it('renews at half the lifetime when the lifetime is not longer than renewBeforeSeconds', async () => {
    const { clock, cache } = setup(30, 60);
    expect(await cache.get()).toBe('cert-1');
    clock.seconds = T0 + 15;
    expect(await cache.get()).toBe('cert-1');
    clock.seconds = T0 + 15.5;
    expect(await cache.get()).toBe('cert-2');
  });

  it('shares one issuance between concurrent callers', async () => {
    const { source, cache } = setup(600, 60);
    const all = await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(all).toEqual(['cert-1', 'cert-1', 'cert-1']);
    expect(source.calls()).toBe(1);
  });

  it('a failed issuance is thrown to every waiting caller and retried by the next call', async () => {
    const { source, cache } = setup(600, 60);
    source.failNext(new SdkError('issuer-error', 'the issuer answered HTTP 503'));
    const results = await Promise.allSettled([cache.get(), cache.get()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await cache.get()).toBe('cert-2');
    expect(source.calls()).toBe(2);
  });

  it('replace() renews a refused certificate once, even for concurrent callers', async () => {
    const { source, cache } = setup(600, 60);
    const stale = await cache.get();
    const replaced = await Promise.all([cache.replace(stale), cache.replace(stale)]);
    expect(replaced).toEqual(['cert-2', 'cert-2']);
    // A caller that saw the old certificate refused later gets the replacement, not a third one.
    expect(await cache.replace(stale)).toBe('cert-2');
    expect(source.calls()).toBe(2);
  });
});
