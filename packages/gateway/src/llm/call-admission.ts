// Admission of one model call, the steps of DESIGN §2 before anything leaves the gateway:
//
//   authenticate (edge) → parse and inspect → route to the provider → server-side context →
//   rate limit → guard (authenticate, bind, detect, grants, Cedar) → budgets → record the decision
//   and the request, reserve the budget → admitted
//
// Contract: MUST NOT admit a call unless the guard allowed it, its decision and the request are
// durable in the audit log, and the most it can cost is reserved on every budget it is charged to.
// Every refusal is data (a wire error); nothing here throws.
import type { AgentCertificateClaims, VerifyError } from '@zt4ai/verify';
import type { LlmProviderConfig } from '../config/index.js';
import { ZtError } from '../errors.js';
import type { GuardDecision, GuardPrincipal } from '../guard/index.js';
import { newId, type ObservedBinding } from '../identity/index.js';
import { planBudget } from './budget-plan.js';
import type { Reservation } from './budget-ledger.js';
import type { CallRef } from './call-audit.js';
import { recordRefusal } from './call-refusal.js';
import { conversationId, CONVERSATION_HEADER } from './conversation-id.js';
import type { EdgeAuthentication } from './edge-auth.js';
import { inputTokenBound } from './input-bound.js';
import { parseJsonBody } from './json-body.js';
import type { JsonRecord } from './json-values.js';
import type { AdmittedCall, CallComponents } from './llm-call.js';
import { modelResource, observedModel } from './model-binding.js';
import type { InspectedRequest, LlmProtocol } from './protocol.js';
import { providerHeaders, providerUrl } from './provider-request.js';
import { callScreen } from './tool-call-screen.js';
import { type LlmWireError, wireError } from './wire-errors.js';

/** What the HTTP edge hands over. */
export interface IncomingCall {
  readonly protocol: LlmProtocol;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export type Admission =
  | { readonly ok: true; readonly call: AdmittedCall }
  | { readonly ok: false; readonly error: LlmWireError };

/** Everything read from the request and the certificate before the guard is asked. */
interface Prepared {
  readonly claims: AgentCertificateClaims;
  readonly verified: Extract<EdgeAuthentication, { ok: true }>['verified'];
  readonly body: JsonRecord;
  readonly inspected: InspectedRequest;
  readonly provider: LlmProviderConfig;
  readonly principal: GuardPrincipal;
  readonly ref: CallRef;
  readonly bodyBytes: number;
  readonly inputBound: number;
  readonly outputCeiling: number;
}

export async function admit(c: CallComponents, incoming: IncomingCall): Promise<Admission> {
  const startedMs = performance.now();
  const startedAt = c.now().toISOString();
  const prepared = await prepare(c, incoming);
  if (!prepared.ok) return prepared;
  const call = prepared.call;
  const refused = await refuseEarly(c, call);
  if (refused !== undefined) return { ok: false, error: refused };
  const rateTokens = call.inputBound + call.outputCeiling;
  const decideStarted = performance.now();
  const decision = await askGuard(c, call, incoming.protocol.endpoint);
  const decideMs = performance.now() - decideStarted;
  if (decision.decision !== 'allow') {
    c.limiter.settle(call.principal.id, rateTokens, 0);
    return { ok: false, error: denied(decision) };
  }
  const recordStarted = performance.now();
  const secured = await secure(c, incoming, call, decision);
  if (!secured.ok) {
    c.limiter.settle(call.principal.id, rateTokens, 0);
    return secured;
  }
  return {
    ok: true,
    call: {
      ref: call.ref,
      protocol: incoming.protocol,
      inspected: call.inspected,
      provider: call.provider,
      principal: call.principal,
      upstream: secured.upstream,
      inputBound: call.inputBound,
      rateTokens,
      decisionIndex: secured.decisionIndex,
      requestIndex: secured.requestIndex,
      reservation: secured.reservation,
      screen: callScreen(c.guard, call.principal, c.config.toolCalls, () => c.audit.commitNow()),
      startedMs,
      startedAt,
      timings: {
        admitMs: performance.now() - startedMs,
        decideMs,
        recordMs: performance.now() - recordStarted,
      },
    },
  };
}

/** The guard's decision of the call (DESIGN §2 steps 1–6), with the binding it shows. */
function askGuard(c: CallComponents, call: Prepared, endpoint: string): Promise<GuardDecision> {
  return c.guard.decide({
    agent: call.principal,
    authenticated: call.verified,
    observed: {
      model: observedModel(call.inspected.model, call.claims.model),
      prompt: observedPrompt(call.inspected),
    },
    action: 'llm/complete',
    tool: modelResource(call.claims.model),
    // The prompt is not an argument here: detectors would read URLs and tokens in its text as the
    // call's destinations and credentials. It is recorded with the request (llm.request).
    args: { model: call.inspected.model, endpoint, stream: call.inspected.stream },
  });
}

/** Authenticate, parse, inspect, route: the request as the gateway understands it. */
async function prepare(
  c: CallComponents,
  incoming: IncomingCall,
): Promise<{ ok: true; call: Prepared } | { ok: false; error: LlmWireError }> {
  const auth = await c.edge.authenticate(
    { authorization: header(incoming, 'authorization'), dpop: header(incoming, 'dpop') },
    incoming.method,
    incoming.path,
  );
  if (!auth.ok) return { ok: false, error: unauthorized(auth.error) };
  let body: JsonRecord;
  let inspected: InspectedRequest;
  try {
    body = parseJsonBody(incoming.body);
    inspected = incoming.protocol.inspect(body, c.config.toolCalls.namespace);
  } catch (error) {
    if (!(error instanceof ZtError)) throw error;
    const code = error.code === 'invalid-json' ? 'invalid_json' : 'invalid_request';
    return { ok: false, error: wireError(400, code, error.message) };
  }
  const claims = auth.claims;
  const provider = c.config.providers.find((p) => p.id === claims.model.provider);
  if (provider === undefined)
    return {
      ok: false,
      error: wireError(
        404,
        'model_not_available',
        `no provider "${claims.model.provider}" is configured on this gateway`,
      ),
    };
  if (!incoming.protocol.accepts(provider.kind))
    return {
      ok: false,
      error: wireError(
        400,
        'model_not_available',
        `the provider "${provider.id}" does not speak this API; use its own endpoint`,
      ),
    };
  const team = await c.subjects.team(claims.agent.id);
  const principal: GuardPrincipal = {
    id: claims.agent.id,
    name: claims.agent.name,
    owner: claims.agent.owner,
    team,
    mission: claims.mission.id,
  };
  const ref: CallRef = {
    call: newId('llc'),
    agent: principal.id,
    team,
    mission: claims.mission.id,
    conversation: conversationId(
      principal.id,
      header(incoming, CONVERSATION_HEADER),
      inspected.conversationSeed,
    ),
    endpoint: incoming.protocol.endpoint,
    provider: provider.id,
    model: inspected.model,
    stream: inspected.stream,
  };
  const perChoice = inspected.maxOutputTokens ?? c.config.defaultMaxOutputTokens;
  return {
    ok: true,
    call: {
      claims,
      verified: auth.verified,
      body,
      inspected,
      provider,
      principal,
      ref,
      bodyBytes: incoming.body.length,
      inputBound: inputTokenBound(incoming.body.length, body),
      outputCeiling: perChoice * inspected.choices,
    },
  };
}

/** Refusals of the gateway's own before the guard: server-side context, rate limits. */
async function refuseEarly(c: CallComponents, call: Prepared): Promise<LlmWireError | undefined> {
  const context = call.inspected.serverContext;
  if (context !== undefined && !c.config.allowServerSideContext) {
    await recordRefusal(c, call.ref, 'server_side_context_denied', context);
    return wireError(
      403,
      'server_side_context_denied',
      `"${context}" draws on context kept by the provider, which the binding check cannot see; send the whole conversation instead`,
    );
  }
  const rate = c.limiter.take(call.principal.id, call.inputBound + call.outputCeiling);
  if (rate.ok) return undefined;
  await recordRefusal(c, call.ref, 'rate_limited', rate.limit);
  if (!Number.isFinite(rate.retryAfterSeconds))
    return wireError(
      429,
      'rate_limited',
      'the request needs more tokens than the per-minute limit allows',
    );
  return wireError(429, 'rate_limited', `too many ${rate.limit} per minute; retry later`, {
    'retry-after': String(rate.retryAfterSeconds),
  });
}

type Secured =
  | {
      ok: true;
      upstream: AdmittedCall['upstream'];
      decisionIndex: number;
      requestIndex: number;
      reservation: Reservation;
    }
  | { ok: false; error: LlmWireError };

/**
 * The budgets, then — at once — the decision and the request made durable and the budget reserved.
 * Whatever fails, nothing is sent: a reservation made for a call that does not go is given back.
 */
async function secure(
  c: CallComponents,
  incoming: IncomingCall,
  call: Prepared,
  decision: GuardDecision,
): Promise<Secured> {
  const budget = await planBudget(c, call, decision.grant);
  if (!budget.ok) {
    decision.recorded.catch(() => undefined);
    return budget;
  }
  const upstreamBody = incoming.protocol.upstreamBody(call.body, call.inspected, {
    providerKind: call.provider.kind,
    maxOutputTokens: budget.injectCeiling ? call.outputCeiling / call.inspected.choices : undefined,
  });
  const text = JSON.stringify(upstreamBody);
  const durable = Promise.allSettled([
    c.ledger.reserve(budget.lines, budget.amountNano),
    decision.recorded,
    c.audit.request(call.ref, text, budget.lines.length === 0 ? undefined : budget.amountNano),
  ]);
  // Both records are queued once their payloads are sealed (within this turn of the event loop on
  // SQLite): then the log is asked to commit them at once.
  setImmediate(() => c.audit.commitNow());
  const [reserved, decisionIndex, requestIndex] = await durable;
  const reservation =
    reserved.status === 'fulfilled' && reserved.value.ok ? reserved.value.reservation : undefined;
  const failure = await securityFailure(c, call, reserved, decisionIndex, requestIndex);
  if (failure !== undefined) {
    if (reservation !== undefined) await c.ledger.release(reservation).catch(() => undefined);
    return { ok: false, error: failure };
  }
  return {
    ok: true,
    upstream: {
      url: providerUrl(call.provider, incoming.protocol.endpoint, call.inspected.model),
      headers: providerHeaders(call.provider, call.inspected.stream, {
        anthropicVersion: header(incoming, 'anthropic-version'),
        anthropicBeta: header(incoming, 'anthropic-beta'),
      }),
      body: Buffer.from(text, 'utf8'),
    },
    decisionIndex: (decisionIndex as PromiseFulfilledResult<number>).value,
    requestIndex: (requestIndex as PromiseFulfilledResult<number>).value,
    reservation: reservation as Reservation,
  };
}

async function securityFailure(
  c: CallComponents,
  call: Prepared,
  reserved: PromiseSettledResult<Awaited<ReturnType<CallComponents['ledger']['reserve']>>>,
  decisionIndex: PromiseSettledResult<number>,
  requestIndex: PromiseSettledResult<number>,
): Promise<LlmWireError | undefined> {
  if (decisionIndex.status === 'rejected' || requestIndex.status === 'rejected')
    return wireError(
      503,
      'decision_unrecorded',
      'the decision could not be recorded; nothing was sent',
    );
  if (reserved.status === 'rejected') {
    c.logger.error({ err: reserved.reason, call: call.ref.call }, 'budget reservation failed');
    await recordRefusal(c, call.ref, 'budget_unavailable', 'the budget store did not answer');
    return wireError(
      503,
      'budget_unavailable',
      'the budget could not be checked; nothing was sent',
    );
  }
  if (!reserved.value.ok) {
    const line = reserved.value.line;
    await recordRefusal(
      c,
      call.ref,
      'budget_exceeded',
      `${line.scope}:${line.subject}:${line.period}`,
    );
    return wireError(
      402,
      'budget_exceeded',
      `the ${line.period} budget of ${line.scope} "${line.subject}" does not allow this call`,
    );
  }
  return undefined;
}

function observedPrompt(inspected: InspectedRequest): NonNullable<ObservedBinding['prompt']> {
  const { system, tools, params } = inspected.prompt;
  return tools === undefined ? { system, params } : { system, tools, params };
}

function denied(decision: GuardDecision): LlmWireError {
  const reasons = decision.reasons.join('; ');
  if (decision.decision === 'approval_required') {
    const pending =
      decision.pendingRequest === undefined
        ? ''
        : ` (request ${decision.pendingRequest}; retry once it is approved)`;
    return wireError(
      403,
      'approval_required',
      `a human must approve this call: ${reasons}${pending}`,
    );
  }
  return wireError(403, 'permission_denied', reasons === '' ? 'the call is not allowed' : reasons);
}

/** RFC 9449 §7.1: 401 with a DPoP challenge; the code is identity's (docs/identity.md), which
 * the SDK reads to renew an expired, revoked or outdated certificate. */
function unauthorized(error: VerifyError): LlmWireError {
  return wireError(401, error.code, error.message, {
    'www-authenticate': 'DPoP error="invalid_dpop_proof", algs="EdDSA"',
  });
}

function header(incoming: IncomingCall, name: string): string | undefined {
  const value = incoming.headers[name];
  return typeof value === 'string' ? value : undefined;
}
