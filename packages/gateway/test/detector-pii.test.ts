// Personal-data detection: cards (ISO/IEC 7812 + Luhn), IBANs (ISO 13616 mod 97, registry
// examples), e-mail (RFC 5322 lite) and phones (E.164 and national formats), valid and invalid.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Facts } from '../src/detectors/detector.js';
import { collectStrings } from '../src/detectors/collect-strings.js';
import { findEmails } from '../src/detectors/email.js';
import { findIbans, IBAN_LENGTHS, ibanCheckDigits, ibanValid } from '../src/detectors/iban.js';
import { luhnCheckDigit, luhnValid } from '../src/detectors/luhn.js';
import { findPhoneNumbers } from '../src/detectors/phone.js';
import { detectPii, findPii } from '../src/detectors/pii.js';

const kindsOf = (value: string): readonly string[] => detectPii([{ path: 'a', value }]).kinds;
const values = (text: string): string[] => findPii(text).map((m) => `${m.kind}:${m.value}`);

describe('payment cards (ISO/IEC 7812, Luhn)', () => {
  it('finds network test numbers with spaces, dashes or none', () => {
    expect(values('card 4111 1111 1111 1111 exp 12/30')).toEqual(['card:4111111111111111']);
    expect(values('5555-5555-5555-4444')).toEqual(['card:5555555555554444']);
    expect(values('amex 378282246310005.')).toEqual(['card:378282246310005']);
    expect(values('3782 822463 10005')).toEqual(['card:378282246310005']);
    expect(values('visa13 4222222222222')).toEqual(['card:4222222222222']);
    expect(values('4111111111111111 12')).toEqual(['card:4111111111111111']);
    expect(values('2223003122003222')).toEqual(['card:2223003122003222']); // Mastercard 2-series
    expect(values('6011111111111117')).toEqual(['card:6011111111111117']);
  });

  it('a Luhn-failing number is not a card', () => {
    expect(kindsOf('4111 1111 1111 1112')).toEqual([]);
    expect(kindsOf('5555555555554445')).toEqual([]);
  });

  it('rejects other industries, other lengths, mixed separators and longer digit runs', () => {
    const mii8 = `800000000000000${luhnCheckDigit('800000000000000')}`;
    expect(luhnValid(mii8)).toBe(true);
    expect(kindsOf(mii8)).toEqual([]); // MII 8: telecom, not a payment card
    expect(kindsOf('411111111111')).toEqual([]); // 12 digits
    expect(kindsOf('4111 1111-1111 1111')).toEqual([]);
    expect(kindsOf('94111111111111111')).toEqual([]);
    expect(kindsOf(`0${'4111111111111111'}0000`)).toEqual([]);
  });

  it('Luhn check digit: ISO/IEC 7812-1 Annex B example and round trip', () => {
    expect(luhnCheckDigit('7992739871')).toBe('3');
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('')).toBe(false);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{1,30}$/),
        fc.nat(29),
        fc.integer({ min: 1, max: 9 }),
        (payload, at, delta) => {
          const number = payload + luhnCheckDigit(payload);
          expect(luhnValid(number)).toBe(true);
          // Any single-digit change is detected (the Luhn property).
          const i = at % number.length;
          const changed =
            number.slice(0, i) + String((Number(number[i]) + delta) % 10) + number.slice(i + 1);
          expect(luhnValid(changed)).toBe(false);
        },
      ),
    );
  });
});

describe('IBAN (ISO 13616, MOD 97-10)', () => {
  // Examples from the SWIFT IBAN registry (the ISO 13616 registration authority).
  const REGISTRY_EXAMPLES = [
    'DE89 3704 0044 0532 0130 00',
    'GB29 NWBK 6016 1331 9268 19',
    'FR14 2004 1010 0505 0001 3M02 606',
    'NL91 ABNA 0417 1643 00',
    'BE68 5390 0754 7034',
    'NO93 8601 1117 947',
    'CH93 0076 2011 6238 5295 7',
    'MT84 MALT 0110 0001 2345 MTLC AST0 01S',
    'AT61 1904 3002 3457 3201',
  ];

  it('finds registry examples in print and electronic format', () => {
    for (const example of REGISTRY_EXAMPLES) {
      const electronic = example.replaceAll(' ', '');
      expect(values(`pay to ${example}, thanks`), example).toEqual([`iban:${electronic}`]);
      expect(values(electronic)).toEqual([`iban:${electronic}`]);
      expect(ibanValid(electronic)).toBe(true);
    }
  });

  it('normalizes lower case and finds adjacent IBANs', () => {
    expect(values('de89370400440532013000')).toEqual(['iban:DE89370400440532013000']);
    expect(
      findIbans('DE89 3704 0044 0532 0130 00 AT61 1904 3002 3457 3201').map((m) => m.value),
    ).toEqual(['DE89370400440532013000', 'AT611904300234573201']);
  });

  it('rejects a wrong checksum, a wrong length for the country and an unknown country', () => {
    expect(kindsOf('DE88 3704 0044 0532 0130 00')).toEqual([]);
    expect(kindsOf('GB29 NWBK 6016 1331 9268 18')).toEqual([]);
    expect(kindsOf('DE89 3704 0044 0532 0130 0')).toEqual([]);
    expect(kindsOf('DE89 3704 0044 0532 0130 001')).toEqual([]);
    expect(ibanValid('XX89370400440532013000')).toBe(false);
  });

  it('mod-97 check digits round-trip and catch single same-class substitutions', () => {
    const countries = [...IBAN_LENGTHS.entries()];
    fc.assert(
      fc.property(
        fc.constantFrom(...countries),
        fc.array(fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'), {
          minLength: 30,
          maxLength: 30,
        }),
        fc.nat(),
        fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
        ([country, length], chars, at, replacement) => {
          const bban = chars.join('').slice(0, length - 4);
          const iban = `${country}${ibanCheckDigits(country, bban)}${bban}`;
          expect(ibanValid(iban)).toBe(true);
          expect(findIbans(`x ${iban} y`).map((m) => m.value)).toEqual([iban]);
          // A digit for a digit or a letter for a letter changes the number by Δ·10^k with
          // 0 < |Δ| < 97, which the prime 97 always detects (ISO 7064).
          const i = 4 + (at % bban.length);
          const sameClass = /[0-9]/.test(iban[i] ?? '') === /[0-9]/.test(replacement);
          if (iban[i] !== replacement && sameClass) {
            expect(ibanValid(iban.slice(0, i) + replacement + iban.slice(i + 1))).toBe(false);
          }
        },
      ),
    );
  });
});

describe('e-mail (RFC 5322 lite)', () => {
  it('finds addresses and normalizes them to lower case', () => {
    expect(values('Mail John.Doe+tag@Example.CO.uk.')).toEqual([
      'email:john.doe+tag@example.co.uk',
    ]);
    expect(values('<a@b.io>, x_y-z%1@sub.domain.example')).toEqual([
      'email:a@b.io',
      'email:x_y-z%1@sub.domain.example',
    ]);
    expect(values('mailto:ops@xn--bcher-kva.xn--tckwe')).toEqual([
      'email:ops@xn--bcher-kva.xn--tckwe',
    ]);
  });

  it('rejects what is not an address (documented limits included)', () => {
    for (const text of [
      'root@localhost', // single-label domain: documented limit
      'user@-bad.example',
      'a..b@example.com',
      '.a@example.com',
      '@example.com',
      'user@example.c',
      'user@192.168.0.1', // IP literal: documented limit
      '"quoted"@example.com', // quoted local part: documented limit
    ]) {
      expect(findEmails(text), text).toEqual([]);
    }
  });
});

describe('phone numbers (E.164 and national formats)', () => {
  const phone = (text: string): string[] => findPhoneNumbers(text).map((m) => m.value);

  it('finds E.164 numbers with + or 00, grouped or not', () => {
    expect(phone('call +14155552671')).toEqual(['+14155552671']);
    expect(phone('+44 20 7946 0958')).toEqual(['+442079460958']);
    expect(phone('+44 (0)20 7946 0958')).toEqual(['+442079460958']);
    expect(phone('+1 (415) 555-2671')).toEqual(['+14155552671']);
    expect(phone('Tel: 0049 30 1234567')).toEqual(['+49301234567']);
    expect(phone('+683 4002')).toEqual(['+6834002']); // Niue: 7 digits
  });

  it('finds NANP and trunk-prefix national numbers', () => {
    expect(phone('(415) 555-2671')).toEqual(['4155552671']);
    expect(phone('415-555-2671 or 415.555.2671')).toEqual(['4155552671', '4155552671']);
    expect(phone('1 415 555 2671')).toEqual(['4155552671']);
    expect(phone('Büro: 030 1234567')).toEqual(['0301234567']);
    expect(phone('020 7946 0958')).toEqual(['02079460958']);
    expect(phone('06 12 34 56 78')).toEqual(['0612345678']);
    expect(phone('(030) 123 4567')).toEqual(['0301234567']);
  });

  it('rejects dates, versions, amounts, addresses and out-of-range lengths', () => {
    for (const text of [
      '2024-01-15',
      '15.01.2024',
      '01.02.2024 10',
      'v1.2.3.4.5.6',
      '3.14159265358',
      'order 12345678',
      '192.168.100.200',
      '+123456',
      '+1234567890123456',
      '+0 123 456 789',
      '(415 555-2671',
      '415--555-2671',
      '4155552671',
      '0301234567',
    ]) {
      expect(phone(text), text).toEqual([]);
    }
  });
});

describe('detectPii facts', () => {
  it('report kinds, paths and count, never the data', () => {
    const args = {
      to: 'Jane.Roe@example.com',
      body: 'IBAN DE89 3704 0044 0532 0130 00, card 4111-1111-1111-1111, call +44 20 7946 0958',
      note: 'nothing here',
    };
    const facts: Facts = detectPii(collectStrings(args));
    expect(facts).toEqual({
      found: true,
      kinds: ['card', 'email', 'iban', 'phone'],
      paths: ['body', 'to'],
      count: 4,
    });
    const text = JSON.stringify(facts);
    for (const secret of ['jane', '3704', '1111', '7946']) expect(text).not.toContain(secret);
  });

  it('redact a key that is itself personal data', () => {
    const facts = detectPii(collectStrings({ DE89370400440532013000: 'x' }));
    expect(facts.paths).toEqual(['*#key']);
  });

  it('a card number is not also a phone number', () => {
    expect(findPii('4111 1111 1111 1111').map((m) => m.kind)).toEqual(['card']);
  });

  it('throw detector-limit beyond the size limit and TypeError on misuse', () => {
    expect(() => detectPii([{ path: 'a', value: '1'.repeat(2 * 1024 * 1024) }])).toThrow(
      expect.objectContaining({ code: 'detector-limit' }),
    );
    expect(() => detectPii([null as unknown as { path: string; value: string }])).toThrow(
      TypeError,
    );
  });

  it('scan hostile 1 MiB strings in linear time', () => {
    for (const unit of ['1', '1 ', 'a@', 'a.', 'DE89 ', '+1 ', '(0', '@a.']) {
      const started = performance.now();
      detectPii([{ path: 'a', value: unit.repeat(Math.floor(1_000_000 / unit.length)) }]);
      expect(performance.now() - started, unit).toBeLessThan(2_000);
    }
  });

  it('never throw on arbitrary strings within the bounds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ path: fc.string(), value: fc.string({ unit: 'binary' }) })),
        (input) => {
          const facts = detectPii(input);
          expect(facts.found).toBe(facts.count > 0);
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[0-9 +().@a-zA-Z-]{0,40}$/)), (parts) => {
        detectPii([{ path: 'a', value: parts.join(' ') }]);
      }),
      { numRuns: 500 },
    );
  });
});
