// Time in epoch seconds, injectable everywhere (tests use a frozen clock, CONVENTIONS 12).

/** Current time in epoch seconds. */
export function systemNow(): number {
  return Date.now() / 1000;
}

/** Reads a clock; one that returns no finite number is caller misuse (TypeError). */
export function readClock(now: () => number): number {
  const t = now();
  if (typeof t !== 'number' || !Number.isFinite(t))
    throw new TypeError('now() must return a number');
  return t;
}
