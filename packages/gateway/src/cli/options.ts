// Parsers for option values; each rejects anything but the exact form it names.
import { ZtError } from '../errors.js';

export function nonNegativeInteger(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d{1,15}$/.test(value))
      throw new ZtError('invalid-argument', `${name} must be a non-negative integer`);
    return Number(value);
  };
}
