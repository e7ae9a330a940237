// Session taint by value: values from labelled results carry their labels into later calls —
// exact, embedded, reformatted (IBAN, card, e-mail case) — and memory stays bounded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectStrings } from '../src/detectors/collect-strings.js';
import type { Facts } from '../src/detectors/detector.js';
import { SessionTaint } from '../src/detectors/labels.js';

const args = (value: unknown): ReturnType<typeof collectStrings> => collectStrings(value);

function sessionWith(content: unknown, labels = ['confidential']): SessionTaint {
  const taint = new SessionTaint();
  taint.record({ labels, content });
  return taint;
}

describe('SessionTaint', () => {
  it('a value copied from a confidential result into a later call carries confidential', () => {
    const taint = sessionWith({ rows: [{ account: 'ACCT-7781-2290', owner: 'Project Nightjar' }] });
    const facts: Facts = taint.labelsFor(
      args({ to: 'ext@partner.example', body: 'ACCT-7781-2290' }),
    );
    expect(facts).toEqual({ labels: ['confidential'], matches: 1, paths: ['body'] });
    expect(taint.labelsFor(args({ q: 'Project Nightjar' })).labels).toEqual(['confidential']);
  });

  it('an 8+ character value embedded in a longer argument string carries the label', () => {
    const taint = sessionWith('Customer reference: CX-20931-ZQ. Internal use only.');
    const facts = taint.labelsFor(args({ message: 'Please look up refCX-20931-ZQ/details today' }));
    expect(facts.labels).toEqual(['confidential']);
    expect(facts.paths).toEqual(['message']);
  });

  it('a multi-word leaf is found inside a longer argument', () => {
    const taint = sessionWith({ title: 'Acquisition of Bluebird Ltd' });
    expect(
      taint.labelsFor(args({ text: 'Draft:  Acquisition of   Bluebird Ltd, Q3' })).labels,
    ).toEqual(['confidential']);
  });

  it('an IBAN reformatted with spaces carries the label', () => {
    const taint = sessionWith({ iban: 'DE89370400440532013000' }, ['pii']);
    expect(taint.labelsFor(args({ note: 'pay DE89 3704 0044 0532 0130 00' })).labels).toEqual([
      'pii',
    ]);
    const printed = sessionWith('IBAN: de89 3704 0044 0532 0130 00', ['pii']);
    expect(printed.labelsFor(args(['DE89370400440532013000'])).labels).toEqual(['pii']);
  });

  it('a card number reformatted with dashes carries the label', () => {
    const taint = sessionWith({ card: '4111 1111 1111 1111' }, ['pci']);
    expect(taint.labelsFor(args({ pan: '4111-1111-1111-1111' })).labels).toEqual(['pci']);
  });

  it('an e-mail address with different case carries the label', () => {
    const taint = sessionWith('Contact: Jane.Roe@Example.com', ['pii']);
    expect(taint.labelsFor(args({ to: 'jane.roe@example.COM' })).labels).toEqual(['pii']);
    // Short addresses count too: a recognized code of any length.
    const short = sessionWith({ email: 'a@b.io' }, ['pii']);
    expect(short.labelsFor(args({ to: 'A@B.IO' })).labels).toEqual(['pii']);
  });

  it('a short value (< 8 characters) that is not a recognized code does not carry the label', () => {
    const taint = sessionWith({ code: 'X7-42', city: 'Berlin', note: 'Q3 plan' });
    const facts = taint.labelsFor(args({ a: 'X7-42', b: 'Berlin', c: 'Q3 plan' }));
    expect(facts).toEqual({ labels: [], matches: 0, paths: [] });
  });

  it('values from unlabelled results carry nothing', () => {
    const taint = sessionWith({ account: 'ACCT-7781-2290' }, []);
    expect(taint.labelsFor(args({ body: 'ACCT-7781-2290' }))).toEqual({
      labels: [],
      matches: 0,
      paths: [],
    });
    expect(taint.sessionLabels()).toEqual([]);
    expect(taint.size).toBe(0);
  });

  it('plain prose words are not values, so common words do not taint later calls', () => {
    const taint = sessionWith('Quarterly information regarding customers is confidential.');
    expect(taint.labelsFor(args({ q: 'list customers and information' })).labels).toEqual([]);
    // The whole leaf is still a value.
    expect(
      taint.labelsFor(args({ q: 'Quarterly information regarding customers is confidential.' }))
        .labels,
    ).toEqual(['confidential']);
  });

  it('merges labels of a value seen in several results and lists all session labels', () => {
    const taint = new SessionTaint();
    taint.record({ labels: ['confidential'], content: { id: 'TICKET-000123' } });
    taint.record({ labels: ['customer-data', 'confidential'], content: 'see TICKET-000123' });
    taint.record({ labels: ['hr'], content: 'EMP-99812-B' });
    expect(taint.labelsFor(args(['TICKET-000123'])).labels).toEqual([
      'confidential',
      'customer-data',
    ]);
    expect(taint.sessionLabels()).toEqual(['confidential', 'customer-data', 'hr']);
  });

  it('counts distinct matches per path and redacts path segments that are remembered values', () => {
    const taint = sessionWith({ a: 'ACCT-7781-2290', b: 'ACCT-7781-2291' });
    const facts = taint.labelsFor(
      args({
        x: 'ACCT-7781-2290 ACCT-7781-2291 ACCT-7781-2290',
        ACCT_7781_2290X: 'y',
        'ACCT-7781-2291': 'z',
      }),
    );
    expect(facts.matches).toBe(3);
    expect(facts.paths).toEqual(['*#key', 'x']);
    expect(JSON.stringify(facts)).not.toContain('7781');
  });

  it('bounds memory: at most maxValues values, oldest evicted first', () => {
    const taint = new SessionTaint({ maxValues: 100 });
    for (let i = 0; i < 250; i++) {
      taint.record({ labels: ['confidential'], content: `VAL-${String(i).padStart(6, '0')}` });
    }
    expect(taint.size).toBe(100);
    expect(taint.evictions).toBe(150);
    expect(taint.labelsFor(args(['VAL-000000'])).labels).toEqual([]);
    expect(taint.labelsFor(args(['VAL-000249'])).labels).toEqual(['confidential']);
    expect(taint.sessionLabels()).toEqual(['confidential']);
    // Re-recording refreshes a value, so it survives the next evictions.
    taint.record({ labels: ['confidential'], content: 'VAL-000150' });
    for (let i = 250; i < 340; i++)
      taint.record({ labels: ['x'], content: `VAL-${String(i).padStart(6, '0')}` });
    expect(taint.labelsFor(args(['VAL-000150'])).labels).toEqual(['confidential']);
    expect(taint.labelsFor(args(['VAL-000151'])).labels).toEqual([]);
  });

  it('record returns the values it took (at most maxValues, the latest) for adopt to take elsewhere', () => {
    const here = new SessionTaint({ maxValues: 2 });
    const taken = here.record({
      labels: ['confidential'],
      content: ['ACCT-000001', 'ACCT-000002', 'ACCT-000003'],
    });
    expect(taken).toEqual(['ACCT-000002', 'ACCT-000003']);
    expect(here.record({ labels: [], content: 'ACCT-000004' })).toEqual([]);
    const there = new SessionTaint();
    there.adopt(['confidential'], taken);
    expect(there.sessionLabels()).toEqual(['confidential']);
    expect(there.labelsFor(args(['send ACCT-000003 now'])).labels).toEqual(['confidential']);
    there.adopt(['untrusted']);
    expect(there.sessionLabels()).toEqual(['confidential', 'untrusted']);
    expect(() => there.adopt(['x'], [42 as unknown as string])).toThrow(TypeError);
    expect(() => there.adopt('x' as unknown as string[])).toThrow(TypeError);
  });

  it('default memory bound is 10,000 values', () => {
    const taint = new SessionTaint();
    const rows = Array.from({ length: 12_000 }, (_, i) => `ROW-${String(i).padStart(8, '0')}`);
    taint.record({ labels: ['bulk'], content: rows });
    expect(taint.size).toBe(10_000);
  });

  it('throws detector-limit for oversized results and arguments, TypeError on misuse', () => {
    const taint = new SessionTaint({ maxResultChars: 1000 });
    const limit = expect.objectContaining({ code: 'detector-limit' });
    expect(() => taint.record({ labels: ['c'], content: 'x'.repeat(1001) })).toThrow(limit);
    expect(() => taint.record({ labels: ['c'], content: ['x'.repeat(1001)] })).toThrow(limit);
    expect(() => taint.labelsFor([{ path: 'a', value: 'x'.repeat(2 * 1024 * 1024) }])).toThrow(
      limit,
    );
    expect(() => taint.record({ labels: 'c' as unknown as string[], content: 'x' })).toThrow(
      TypeError,
    );
    expect(() => new SessionTaint({ maxValues: 0 })).toThrow(TypeError);
  });

  it('scans a 1 MiB argument against a full memory quickly', () => {
    const taint = new SessionTaint();
    taint.record({
      labels: ['c'],
      content: Array.from({ length: 10_000 }, (_, i) => `ID-${i}-${'x'.repeat(i % 200)}`),
    });
    const started = performance.now();
    const facts = taint.labelsFor([
      { path: 'a', value: `ID-150-${'x'.repeat(150)} `.repeat(6_600) },
    ]);
    expect(facts.labels).toEqual(['c']);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('stops with detector-limit when adversarial memory would make a scan quadratic', () => {
    // 249 remembered lengths share one 8-character prefix: every position probes them all.
    const taint = new SessionTaint();
    taint.record({
      labels: ['c'],
      content: Array.from({ length: 249 }, (_, i) => 'a'.repeat(8 + i) + '1'),
    });
    expect(() => taint.labelsFor([{ path: 'a', value: 'a'.repeat(100_000) }])).toThrow(
      expect.objectContaining({ code: 'detector-limit' }),
    );
  });

  it('never throws on arbitrary results and arguments except the size limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string()),
        fc.jsonValue(),
        fc.array(fc.record({ path: fc.string(), value: fc.string({ unit: 'binary' }) })),
        (labels, content, values) => {
          const taint = new SessionTaint({ maxValues: 50 });
          try {
            taint.record({ labels, content });
            taint.record({ labels, content: JSON.stringify(content) });
          } catch (error) {
            expect(error).toMatchObject({ code: 'detector-limit' });
          }
          const facts = taint.labelsFor(values);
          expect(facts.matches >= facts.paths.length || facts.paths.length === 64).toBe(true);
          expect(taint.size).toBeLessThanOrEqual(50);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any recorded leaf of 8+ characters flows back when copied verbatim', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 200 }).filter((s) => /[\p{L}\p{N}]{8}/u.test(s)),
        (leaf) => {
          const taint = sessionWith({ leaf });
          expect(taint.labelsFor(args({ copy: `prefix ${leaf} suffix` })).labels).toEqual([
            'confidential',
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
