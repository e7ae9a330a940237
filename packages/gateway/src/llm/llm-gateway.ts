// The LLM gateway (DESIGN §2: an enforcement point between agents and model APIs): one call is
//
//   admit (authenticate, bind, guard, record, reserve) → relay (provider, screening) → settle
//   (usage, cost, budgets, audit)
//
// It is a thin adapter: the guard decides; the gateway reads protocols and renders decisions in
// their terms. Settlement runs after the answer went out; `drain()` waits for it.
import type { LlmConfig } from '../config/index.js';
import type { Guard } from '../guard/index.js';
import type { GrantService } from '../grants/index.js';
import type { IdentityService } from '../identity/index.js';
import type { Store } from '../store/index.js';
import type { AnswerSink } from './answer-sink.js';
import { BudgetLedger } from './budget-ledger.js';
import { admit, type IncomingCall } from './call-admission.js';
import { CallAudit, type CallRecorder } from './call-audit.js';
import { type CostGrouping, type CostLine, costReport } from './call-costs.js';
import { relay, type RelayOutcome } from './call-relay.js';
import { settle } from './call-settlement.js';
import { CallSubjects } from './call-subjects.js';
import { EdgeAuthenticator } from './edge-auth.js';
import type { AdmittedCall, CallComponents, LlmLogger } from './llm-call.js';
import { listModels } from './model-list.js';
import { PriceBook } from './price-book.js';
import { newTranscript } from './protocol.js';
import { RateLimiter } from './rate-limiter.js';
import { SettlementQueue } from './settlement-queue.js';
import { errorBody, type LlmWireError, wireError } from './wire-errors.js';

export interface LlmGatewayOptions {
  readonly config: LlmConfig;
  /** The public base URL of this server (the issuer URL): proofs name URLs under it. */
  readonly publicUrl: string;
  readonly guard: Pick<Guard, 'decide'>;
  readonly identity: Pick<IdentityService, 'authenticator' | 'agentTeam' | 'missions'>;
  readonly grants: Pick<GrantService, 'grants'>;
  readonly store: Store;
  /** The audit log (its `flush` lets a waiting call commit at once). */
  readonly audit: CallRecorder;
  readonly logger?: LlmLogger;
  readonly now?: () => Date;
}

const SILENT: LlmLogger = { warn: () => undefined, error: () => undefined };
const INTERNAL = wireError(500, 'internal', 'internal error');

export class LlmGateway {
  readonly #c: CallComponents;
  readonly #store: Store;
  readonly #settling = new Set<Promise<void>>();
  /** Calls being relayed, by agent: containment cuts them (remediation/live-sessions.ts). */
  readonly #inFlight = new Map<string, Set<AbortController>>();

  constructor(options: LlmGatewayOptions) {
    const now = options.now ?? (() => new Date());
    this.#store = options.store;
    const ledger = new BudgetLedger(options.store.db, now);
    this.#c = {
      config: options.config,
      guard: options.guard,
      edge: new EdgeAuthenticator({
        authenticator: options.identity.authenticator,
        baseUrl: options.publicUrl,
      }),
      subjects: new CallSubjects(options.identity, options.grants, options.store),
      prices: new PriceBook(options.config.prices),
      ledger,
      settlements: new SettlementQueue(ledger),
      limiter: new RateLimiter(options.config.rateLimits, () => now().getTime()),
      audit: new CallAudit(options.audit),
      logger: options.logger ?? SILENT,
      now,
    };
  }

  /** The budget ledger (spending per budget and period). */
  get ledger(): BudgetLedger {
    return this.#c.ledger;
  }

  /** Handles one model call from request to answer; never throws. Settlement continues after. */
  async call(incoming: IncomingCall, sink: AnswerSink, signal: AbortSignal): Promise<void> {
    const endpoint = incoming.protocol.endpoint;
    let admitted: AdmittedCall;
    try {
      const admission = await admit(this.#c, incoming);
      if (!admission.ok) return send(sink, endpoint, admission.error);
      admitted = admission.call;
    } catch (error) {
      this.#c.logger.error({ err: error }, 'a model call could not be admitted');
      return send(sink, endpoint, storeFailure(error));
    }
    let relayed: RelayOutcome;
    const contained = this.#watch(admitted.ref.agent);
    try {
      relayed = await relay(this.#c, admitted, sink, AbortSignal.any([signal, contained.signal]));
      // Cut by containment, not by the client: the answer was stopped by the gateway.
      if (contained.signal.aborted && relayed.status === 'client_closed')
        relayed = { ...relayed, status: 'cut' };
    } catch (error) {
      this.#c.logger.error({ err: error, call: admitted.ref.call }, 'a model call failed');
      if (!sink.started) send(sink, endpoint, INTERNAL);
      sink.end();
      relayed = {
        status: 'failed',
        httpStatus: 500,
        transcript: newTranscript(),
        raw: undefined,
        charged: 'input',
        upstreamMs: 0,
      };
    } finally {
      this.#unwatch(admitted.ref.agent, contained);
    }
    this.#track(admitted, relayed);
  }

  /** Agents with a call being relayed (containment's view). */
  liveAgents(): Iterable<string> {
    return this.#inFlight.keys();
  }

  /** Containment: cuts every call of `agent` being relayed; resolves with how many. */
  async terminate(agent: string): Promise<number> {
    const calls = [...(this.#inFlight.get(agent) ?? [])];
    for (const call of calls) call.abort();
    return calls.length;
  }

  #watch(agent: string): AbortController {
    const controller = new AbortController();
    const calls = this.#inFlight.get(agent) ?? new Set();
    calls.add(controller);
    this.#inFlight.set(agent, calls);
    return controller;
  }

  #unwatch(agent: string, controller: AbortController): void {
    const calls = this.#inFlight.get(agent);
    calls?.delete(controller);
    if (calls?.size === 0) this.#inFlight.delete(agent);
  }

  /** `GET /v1/models`: the model the agent's certificate names (OpenAI or Anthropic list shape). */
  async models(
    headers: { authorization?: string | undefined; dpop?: string | undefined },
    path: string,
    anthropic: boolean,
    sink: AnswerSink,
  ): Promise<void> {
    try {
      const auth = await this.#c.edge.authenticate(headers, 'GET', path);
      if (!auth.ok) {
        return send(
          sink,
          anthropic ? 'messages' : 'models',
          wireError(401, auth.error.code, auth.error.message, {
            'www-authenticate': 'DPoP error="invalid_dpop_proof", algs="EdDSA"',
          }),
        );
      }
      const provider = this.#c.config.providers.find((p) => p.id === auth.claims.model.provider);
      sink.json(200, listModels(auth.claims.model, provider, anthropic));
    } catch (error) {
      this.#c.logger.error({ err: error }, 'models could not be listed');
      send(sink, anthropic ? 'messages' : 'models', storeFailure(error));
    }
  }

  /** Spending and tokens per agent, team, mission or model since `since` (ISO time). */
  costs(by: CostGrouping, since?: string): Promise<CostLine[]> {
    return costReport(this.#store.db, by, since);
  }

  /** Waits until every settlement in flight is done (tests; shutdown). */
  async drain(): Promise<void> {
    while (this.#settling.size > 0) {
      const pending = Promise.allSettled([...this.#settling]);
      await this.#c.settlements.flush();
      await pending;
    }
  }

  #track(call: AdmittedCall, relayed: RelayOutcome): void {
    const settling = settle(this.#c, call, relayed)
      .catch((error: unknown) => {
        this.#c.logger.error(
          { err: error, call: call.ref.call },
          'a model call could not be settled',
        );
      })
      .finally(() => this.#settling.delete(settling));
    this.#settling.add(settling);
  }
}

function send(
  sink: AnswerSink,
  endpoint: Parameters<typeof errorBody>[0],
  error: LlmWireError,
): void {
  sink.json(error.status, errorBody(endpoint, error), error.headers);
}

/** Anything thrown on the way is the store failing (the steps turn everything else into data). */
function storeFailure(_error: unknown): LlmWireError {
  return wireError(
    503,
    'unavailable',
    'the control plane could not check this call; nothing was sent',
  );
}
