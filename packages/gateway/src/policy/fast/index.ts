// The fast path's public face: FastPolicySet only (see README.md for what it guarantees).
export { FastPolicySet } from './fast-policy-set.js';
export type { Fallback } from './fast-policy-set.js';
