// Strict parsing of integer query parameters: digits only, within safe-integer range.
import { ZtError } from '../errors.js';

export function integerParam(query: unknown, name: string): number | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) {
    throw new ZtError('invalid-argument', `"${name}" must be a non-negative integer`);
  }
  return Number(value);
}

export function requiredIntegerParam(query: unknown, name: string): number {
  const value = integerParam(query, name);
  if (value === undefined) throw new ZtError('invalid-argument', `"${name}" is required`);
  return value;
}
