// MemoryReplayCache: single use, eviction after expiry, and failing closed when full.
import { describe, expect, it } from 'vitest';
import { MemoryReplayCache, VerifyError } from '../src/index.js';

describe('MemoryReplayCache', () => {
  it('accepts a jti once while it is unexpired', () => {
    const cache = new MemoryReplayCache({ now: () => 100 });
    expect(cache.use('a', 160)).toBe(true);
    expect(cache.use('a', 160)).toBe(false);
    expect(cache.use('b', 160)).toBe(true);
  });

  it('remembers a jti up to and including expiresAt, and forgets it after', () => {
    let now = 100;
    const cache = new MemoryReplayCache({ now: () => now });
    cache.use('a', 160);
    now = 160;
    expect(cache.use('a', 220)).toBe(false);
    now = 160.001;
    expect(cache.use('a', 220)).toBe(true);
  });

  it('evicts expired entries to make room', () => {
    let now = 100;
    const cache = new MemoryReplayCache({ maxEntries: 3, now: () => now });
    for (const j of ['a', 'b', 'c']) expect(cache.use(j, 160)).toBe(true);
    now = 161;
    for (const j of ['d', 'e', 'f']) expect(cache.use(j, 221)).toBe(true);
    expect(cache.size).toBe(3);
  });

  it('evicts expired entries that are not the oldest insertions', () => {
    let now = 100;
    const cache = new MemoryReplayCache({ maxEntries: 2, now: () => now });
    cache.use('long', 1000);
    cache.use('short', 110);
    now = 111;
    expect(cache.use('new', 171)).toBe(true);
    expect(cache.use('long', 1000)).toBe(false);
  });

  it('refuses (throws replay-cache-full) rather than forget an unexpired jti', () => {
    let now = 100;
    const cache = new MemoryReplayCache({ maxEntries: 2, now: () => now });
    cache.use('a', 160);
    cache.use('b', 170);
    const full = () => cache.use('c', 170);
    expect(full).toThrow(VerifyError);
    expect(full).toThrow(expect.objectContaining({ code: 'replay-cache-full' }));
    expect(cache.use('a', 160)).toBe(false); // still remembered
    now = 161;
    expect(cache.use('c', 221)).toBe(true); // room again once 'a' expired
    expect(() => cache.use('d', 221)).toThrow(
      expect.objectContaining({ code: 'replay-cache-full' }),
    );
    // An entry inserted after a sweep with an earlier expiry than the rest is still swept in time.
    now = 171;
    expect(cache.use('d', 231)).toBe(true);
  });

  it('defaults to 100,000 entries and the system clock', () => {
    const cache = new MemoryReplayCache();
    const now = Date.now() / 1000;
    expect(cache.use('x', now + 60)).toBe(true);
    expect(cache.use('x', now + 60)).toBe(false);
  });

  it('stays fast when full: refusals do not rescan the whole cache', () => {
    const cache = new MemoryReplayCache({ maxEntries: 50_000, now: () => 0 });
    for (let i = 0; i < 50_000; i++) cache.use(`j${i}`, 60);
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) expect(() => cache.use(`k${i}`, 60)).toThrow();
    expect(performance.now() - start).toBeLessThan(2_000);
  });

  it('misuse throws TypeError', () => {
    expect(() => new MemoryReplayCache({ maxEntries: 0 })).toThrow(TypeError);
    expect(() => new MemoryReplayCache({ now: 1 as never })).toThrow(TypeError);
    const cache = new MemoryReplayCache();
    expect(() => cache.use(1 as never, 1)).toThrow(TypeError);
    expect(() => cache.use('a', Number.NaN)).toThrow(TypeError);
  });
});
