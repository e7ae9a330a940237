// The Luhn (mod 10) check digit of ISO/IEC 7812-1 Annex B, used by every payment card number.

/** True when the digit string `digits` ends in a correct Luhn check digit. */
export function luhnValid(digits: string): boolean {
  if (!/^[0-9]{2,}$/.test(digits)) return false;
  return luhnSum(digits, false) % 10 === 0;
}

/** The Luhn check digit to append to the digit string `payload`. */
export function luhnCheckDigit(payload: string): string {
  if (!/^[0-9]+$/.test(payload)) throw new TypeError('payload must be a digit string');
  return String((10 - (luhnSum(payload, true) % 10)) % 10);
}

// Sums the digits from the right, doubling every second one; `doubleFirst` when the check digit
// is not yet present.
function luhnSum(digits: string, doubleFirst: boolean): number {
  let sum = 0;
  let double = doubleFirst;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum;
}
