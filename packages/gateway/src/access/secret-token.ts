// Random bearer secrets (session cookies, login links) and the hashes the store keeps of them, so a
// copy of the store never yields a usable session.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** 256 random bits, base64url. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/** True for a string shaped like a token from newSecretToken (anything else is never looked up). */
export function isSecretToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

/** base64url SHA-256 of a token: what the store holds. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Constant-time comparison of two tokens; false when either is missing or they differ in length. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
