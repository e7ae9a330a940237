// The budget side of admitting a call: which budgets it is charged to (budget-lines.ts) and the
// most it can cost — its input bound and output ceiling at the model's highest rates
// (price-book.ts). A call under a budget whose cost cannot be bounded (no known price, a budget in
// another currency, the store not answering) is refused, and the refusal recorded.
import type { LlmProviderConfig } from '../config/index.js';
import type { GuardPrincipal } from '../guard/index.js';
import { type BudgetLine, budgetLines } from './budget-lines.js';
import type { CallRef } from './call-audit.js';
import { recordRefusal } from './call-refusal.js';
import type { CallComponents } from './llm-call.js';
import type { InspectedRequest } from './protocol.js';
import { type LlmWireError, wireError } from './wire-errors.js';

export type BudgetPlan =
  | { ok: true; lines: BudgetLine[]; amountNano: number; injectCeiling: boolean }
  | { ok: false; error: LlmWireError };

/** What the plan needs of a call. */
export interface BudgetedCall {
  readonly principal: GuardPrincipal;
  readonly ref: CallRef;
  readonly provider: LlmProviderConfig;
  readonly inspected: InspectedRequest;
  readonly bodyBytes: number;
  readonly inputBound: number;
  readonly outputCeiling: number;
}

/** The budgets the call is charged to and the most it can cost; refusals are recorded. */
export async function planBudget(
  c: CallComponents,
  call: BudgetedCall,
  grant: string | undefined,
): Promise<BudgetPlan> {
  let result: ReturnType<typeof budgetLines>;
  try {
    result = budgetLines(
      c.config.budgets,
      {
        agent: call.principal.id,
        team: call.ref.team,
        mission: call.ref.mission,
        missionBudget: await c.subjects.missionBudget(call.ref.mission),
        grant,
        grantBudget: grant === undefined ? undefined : await c.subjects.grantBudget(grant),
      },
      c.now(),
    );
  } catch (error) {
    c.logger.error({ err: error, call: call.ref.call }, 'budget lookup failed');
    await recordRefusal(c, call.ref, 'budget_unavailable', 'the budgets could not be read');
    return {
      ok: false,
      error: wireError(
        503,
        'budget_unavailable',
        'the budget could not be checked; nothing was sent',
      ),
    };
  }
  if (!result.ok) {
    await recordRefusal(c, call.ref, 'budget_unavailable', result.reason);
    return { ok: false, error: wireError(403, 'budget_unavailable', result.reason) };
  }
  if (result.lines.length === 0)
    return { ok: true, lines: [], amountNano: 0, injectCeiling: false };
  const amountNano = c.prices.ceiling(call.provider, call.inspected.model, {
    inputTokens: call.inputBound,
    textBytes: call.bodyBytes,
    outputTokens: call.outputCeiling,
  });
  if (amountNano === undefined) {
    const reason = `no price is known for "${call.inspected.model}"; calls under a budget need one (llm.prices)`;
    await recordRefusal(c, call.ref, 'budget_unavailable', reason);
    return { ok: false, error: wireError(403, 'budget_unavailable', reason) };
  }
  return {
    ok: true,
    lines: result.lines,
    amountNano,
    injectCeiling: call.inspected.maxOutputTokens === undefined,
  };
}
