// Entry bytes: splicing the index into pre-canonicalized members gives exactly RFC 8785 output.
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { entryText, prepareEvent } from '../src/audit/entry.js';

it('equals the canonical JSON of the event with its index, for any event', () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 12 }),
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.nat(2 ** 40),
      (members, type, index) => {
        const event = { ...members, type };
        delete (event as Record<string, unknown>).index;
        const text = entryText(prepareEvent(event, 1024 * 1024), index);
        expect(text).toBe(canonicalize({ ...JSON.parse(JSON.stringify(event)), index }));
      },
    ),
    { numRuns: 500 },
  );
});
