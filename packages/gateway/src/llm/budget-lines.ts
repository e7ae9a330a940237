// Which budgets a call is charged against: configured budgets per agent, team and mission (a
// budget for one subject wins over the `*` default of the same scope and period), the budget of the
// call's mission manifest, and the budget of the task grant that allowed it. Two budgets on the same
// row (scope, subject, period) merge into the stricter one.
import type { LlmBudgetConfig, LlmBudgetPeriod } from '../config/index.js';
import { periodStart } from './budget-period.js';

export type BudgetScope = 'agent' | 'team' | 'mission' | 'grant';

export interface BudgetLine {
  readonly scope: BudgetScope;
  readonly subject: string;
  readonly period: LlmBudgetPeriod;
  readonly periodStart: string;
  /** Nano-dollars. */
  readonly limitNano: number;
}

export interface BudgetSubjects {
  readonly agent: string;
  readonly team: string;
  readonly mission: string;
  /** The mission manifest's budget, when it has one. */
  readonly missionBudget?: { limit: number; currency: string; period: LlmBudgetPeriod } | undefined;
  /** The task grant that allowed the call, and its budget when it has one. */
  readonly grant?: string | undefined;
  readonly grantBudget?: { limit: number; currency: string } | undefined;
}

const NANO_PER_USD = 1e9;

/** Budgets are kept in US dollars, the currency of every price table. */
export const BUDGET_CURRENCY = 'USD';

export type BudgetLinesResult =
  | { readonly ok: true; readonly lines: BudgetLine[] }
  | { readonly ok: false; readonly reason: string };

export function budgetLines(
  configured: readonly LlmBudgetConfig[],
  subjects: BudgetSubjects,
  now: Date,
): BudgetLinesResult {
  const lines = new Map<string, BudgetLine>();
  const add = (scope: BudgetScope, subject: string, period: LlmBudgetPeriod, usd: number): void => {
    const line: BudgetLine = {
      scope,
      subject,
      period,
      periodStart: periodStart(period, now),
      limitNano: Math.floor(usd * NANO_PER_USD),
    };
    const key = `${scope}\u0000${subject}\u0000${period}`;
    const existing = lines.get(key);
    if (existing === undefined || existing.limitNano > line.limitNano) lines.set(key, line);
  };
  for (const budget of mostSpecific(configured, subjects)) {
    add(budget.scope, subjects[budget.scope], budget.period, budget.limitUsd);
  }
  const mission = subjects.missionBudget;
  if (mission !== undefined) {
    if (mission.currency !== BUDGET_CURRENCY)
      return {
        ok: false,
        reason: `the mission's budget is in ${mission.currency}; only ${BUDGET_CURRENCY} is metered`,
      };
    add('mission', subjects.mission, mission.period, mission.limit);
  }
  const grant = subjects.grantBudget;
  if (grant !== undefined && subjects.grant !== undefined) {
    if (grant.currency !== BUDGET_CURRENCY)
      return {
        ok: false,
        reason: `the grant's budget is in ${grant.currency}; only ${BUDGET_CURRENCY} is metered`,
      };
    add('grant', subjects.grant, 'total', grant.limit);
  }
  return { ok: true, lines: [...lines.values()] };
}

/** Configured budgets that apply to the subjects, a specific one replacing `*` of its kind. */
function mostSpecific(
  configured: readonly LlmBudgetConfig[],
  subjects: BudgetSubjects,
): LlmBudgetConfig[] {
  const matching = configured.filter((b) => b.subject === '*' || b.subject === subjects[b.scope]);
  return matching.filter(
    (b) =>
      b.subject !== '*' ||
      !matching.some(
        (other) => other.subject !== '*' && other.scope === b.scope && other.period === b.period,
      ),
  );
}
