// International Bank Account Numbers per ISO 13616-1: a registered country length and the
// ISO 7064 MOD 97-10 check (remainder 1), so random letter-digit runs are not reported as IBANs.
import type { TextMatch } from './text-match.js';

/** IBAN length per country code, from the SWIFT IBAN registry (ISO 13616 registration authority). */
export const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    AD: 24,
    AE: 23,
    AL: 28,
    AT: 20,
    AZ: 28,
    BA: 20,
    BE: 16,
    BG: 22,
    BH: 22,
    BI: 27,
    BR: 29,
    BY: 28,
    CH: 21,
    CR: 22,
    CY: 28,
    CZ: 24,
    DE: 22,
    DJ: 27,
    DK: 18,
    DO: 28,
    EE: 20,
    EG: 29,
    ES: 24,
    FI: 18,
    FK: 18,
    FO: 18,
    FR: 27,
    GB: 22,
    GE: 22,
    GI: 23,
    GL: 18,
    GR: 27,
    GT: 28,
    HN: 28,
    HR: 21,
    HU: 28,
    IE: 22,
    IL: 23,
    IQ: 23,
    IS: 26,
    IT: 27,
    JO: 30,
    KW: 30,
    KZ: 20,
    LB: 28,
    LC: 32,
    LI: 21,
    LT: 20,
    LU: 20,
    LV: 21,
    LY: 25,
    MC: 27,
    MD: 24,
    ME: 22,
    MK: 19,
    MN: 20,
    MR: 27,
    MT: 31,
    MU: 30,
    NI: 28,
    NL: 18,
    NO: 15,
    OM: 23,
    PK: 24,
    PL: 28,
    PS: 29,
    PT: 25,
    QA: 29,
    RO: 24,
    RS: 22,
    RU: 33,
    SA: 24,
    SC: 31,
    SD: 18,
    SE: 24,
    SI: 19,
    SK: 24,
    SM: 27,
    SO: 23,
    ST: 25,
    SV: 28,
    TL: 23,
    TN: 24,
    TR: 26,
    UA: 29,
    VA: 22,
    VG: 24,
    XK: 20,
    YE: 30,
  }),
);

/** ISO 7064 MOD 97-10 remainder of an IBAN in electronic form (country and check digits moved). */
export function ibanMod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    // Digits stay, letters become 10..35 (two digits), per ISO 13616-1 §B.
    if (code >= 48 && code <= 57) remainder = (remainder * 10 + (code - 48)) % 97;
    else remainder = (remainder * 100 + (code - 55)) % 97;
  }
  return remainder;
}

/** True for an IBAN in electronic form with a registered length and a correct checksum. */
export function ibanValid(iban: string): boolean {
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  if (IBAN_LENGTHS.get(iban.slice(0, 2)) !== iban.length) return false;
  return ibanMod97(iban) === 1;
}

/** The two check digits for `country` + `bban` (ISO 13616-1: 98 − mod97(bban + country + "00")). */
export function ibanCheckDigits(country: string, bban: string): string {
  if (!/^[A-Z]{2}$/.test(country) || !/^[A-Z0-9]+$/.test(bban)) {
    throw new TypeError('country must be two letters and bban alphanumeric upper case');
  }
  return String(98 - ibanMod97(`${country}00${bban}`)).padStart(2, '0');
}

// Country, check digits, then up to 30 BBAN characters, optionally in print groups of four.
const CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,34}/g;

/**
 * Every valid IBAN in `text`, in electronic or print format (groups separated by one space),
 * normalized to the electronic format (upper case, no spaces).
 */
export function findIbans(text: string): TextMatch[] {
  const found: TextMatch[] = [];
  const candidate = new RegExp(CANDIDATE.source, 'g');
  for (let match = candidate.exec(text); match !== null; match = candidate.exec(text)) {
    const start = match.index;
    const end = ibanEnd(text, start, match[0]);
    const value = end === undefined ? '' : text.slice(start, end).replaceAll(' ', '').toUpperCase();
    if (end !== undefined && ibanValid(value)) {
      found.push({ value, start, end });
      candidate.lastIndex = end;
    } else {
      // A run can hold a shorter IBAN after a false start; retry from the next position.
      candidate.lastIndex = start + 1;
    }
  }
  return found;
}

// Takes exactly the registered number of characters; the next character must end the IBAN.
function ibanEnd(text: string, start: number, raw: string): number | undefined {
  const length = IBAN_LENGTHS.get(raw.slice(0, 2).toUpperCase());
  if (length === undefined) return undefined;
  let taken = 0;
  let end = 0;
  for (; end < raw.length && taken < length; end++) if (raw[end] !== ' ') taken++;
  if (taken < length || /[A-Za-z0-9]/.test(text.charAt(start + end))) return undefined;
  return start + end;
}
