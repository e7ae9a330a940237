// One model call as the gateway handles it, from admission to settlement, and the components the
// steps share. Admission builds it; relay and settlement read it.
import type { LlmConfig, LlmProviderConfig } from '../config/index.js';
import type { Guard, GuardPrincipal } from '../guard/index.js';
import type { BudgetLedger, Reservation } from './budget-ledger.js';
import type { CallAudit, CallRef } from './call-audit.js';
import type { CallSubjects } from './call-subjects.js';
import type { EdgeAuthenticator } from './edge-auth.js';
import type { PriceBook } from './price-book.js';
import type { InspectedRequest, LlmProtocol, ScreenCalls } from './protocol.js';
import type { RateLimiter } from './rate-limiter.js';
import type { SettlementQueue } from './settlement-queue.js';

/** Where log lines go (pino's shape). */
export interface LlmLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** The components every step of a call uses. */
export interface CallComponents {
  readonly config: LlmConfig;
  readonly guard: Pick<Guard, 'decide'>;
  readonly edge: EdgeAuthenticator;
  readonly subjects: CallSubjects;
  readonly prices: PriceBook;
  readonly ledger: BudgetLedger;
  readonly settlements: SettlementQueue;
  readonly limiter: RateLimiter;
  readonly audit: CallAudit;
  readonly logger: LlmLogger;
  readonly now: () => Date;
}

/** A call the guard allowed, recorded and paid for in advance: ready to go upstream. */
export interface AdmittedCall {
  readonly ref: CallRef;
  readonly protocol: LlmProtocol;
  readonly inspected: InspectedRequest;
  readonly provider: LlmProviderConfig;
  readonly principal: GuardPrincipal;
  readonly upstream: {
    readonly url: URL;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: Buffer;
  };
  /** Upper bound of the input tokens (the estimate when the provider reports none). */
  readonly inputBound: number;
  /** Tokens taken from the agent's per-minute allowance. */
  readonly rateTokens: number;
  readonly decisionIndex: number;
  readonly requestIndex: number;
  readonly reservation: Reservation;
  readonly screen: ScreenCalls;
  /** performance.now() when the request arrived, and the wall-clock time. */
  readonly startedMs: number;
  readonly startedAt: string;
  /**
   * Milliseconds: admission in all, of it the guard and the wait for the records and the
   * reservation (reported to the agent in `Server-Timing`).
   */
  readonly timings: {
    readonly admitMs: number;
    readonly decideMs: number;
    readonly recordMs: number;
  };
}
