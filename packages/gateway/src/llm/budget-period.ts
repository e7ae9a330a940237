// Budget periods in UTC: the start of the period an instant falls in, as the key of its row. Weeks
// start on Monday (ISO 8601); `total` is one period for the whole life of the subject.
import type { LlmBudgetPeriod } from '../config/index.js';

export function periodStart(period: LlmBudgetPeriod, now: Date): string {
  const iso = now.toISOString();
  switch (period) {
    case 'hour':
      return iso.slice(0, 13);
    case 'day':
      return iso.slice(0, 10);
    case 'month':
      return iso.slice(0, 7);
    case 'week': {
      const sinceMonday = (now.getUTCDay() + 6) % 7;
      const monday = new Date(
        Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - sinceMonday),
      );
      return `W${monday.toISOString().slice(0, 10)}`;
    }
    case 'total':
      return 'total';
  }
}

/** When the period containing `now` ends (for Retry-After); undefined for `total`. */
export function periodEnd(period: LlmBudgetPeriod, now: Date): Date | undefined {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  switch (period) {
    case 'hour':
      return new Date(Date.UTC(y, m, d, now.getUTCHours() + 1));
    case 'day':
      return new Date(Date.UTC(y, m, d + 1));
    case 'week':
      return new Date(Date.UTC(y, m, d + 7 - ((now.getUTCDay() + 6) % 7)));
    case 'month':
      return new Date(Date.UTC(y, m + 1, 1));
    case 'total':
      return undefined;
  }
}
