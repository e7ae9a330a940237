// The guard pipeline of DESIGN §2, the one place that composes identity, grants, detectors and
// policy. Every enforcement point calls decide(); none decides anything on its own.
//
//   authenticate → bind → normalize → detect → authorize → record
//
// Contract: decide() MUST NOT throw and MUST NOT allow unless every step succeeded: any error,
// timeout or missing input is a deny whose reasons say which step failed. It returns as soon as the
// decision is made; `recorded` resolves once the decision is durable in the audit log, and an
// enforcement point MUST await it before executing anything (a failed record means do not execute).
import type { VerifiedAgentRequest } from '@zt4ai/verify';
import { VerifyError } from '@zt4ai/verify';
import { ZtError } from '../errors.js';
import type { ArgKind } from '../detectors/detector.js';
import type { SessionTaint } from '../detectors/labels.js';
import { resolveEgress, type EgressLookup } from '../detectors/egress.js';
import type { AgentCredentials, ObservedBinding } from '../identity/index.js';
import type { CedarRequest } from '../policy/cedar-engine.js';
import { NO_GRANT_REASON, type PolicySet } from '../policy/policy-set.js';
import { type CallFacts, type DetectionSettings, detectCallFacts } from './call-facts.js';
import type { ToolConfig } from './tool-catalog.js';

export type GuardAction =
  'tools/call' | 'resources/read' | 'prompts/get' | 'llm/complete' | 'http/request';
export type Decision = 'allow' | 'deny' | 'approval_required';

/** The acting agent, as the enforcement point knows it (or as authentication will establish it). */
export interface GuardPrincipal {
  readonly id: string;
  readonly name?: string;
  readonly owner?: string;
  readonly team?: string;
  readonly mission?: string;
}

export interface GuardRequest {
  readonly agent: GuardPrincipal;
  /** When given, step 1 verifies certificate and proof and the agent must match. */
  readonly credentials?: AgentCredentials;
  /**
   * Instead of credentials: the result of the guard's own authenticator for this request, from
   * the enforcement point that authenticated it at its edge (a proof is single-use). Accepted only
   * when the authenticator vouches for that very object.
   */
  readonly authenticated?: VerifiedAgentRequest;
  /** When given with credentials or `authenticated`, step 2 checks the bindings against it. */
  readonly observed?: ObservedBinding;
  readonly action: GuardAction;
  /** `server/tool` (or the model / endpoint for llm and http actions). */
  readonly tool: string;
  readonly args?: unknown;
  /** Argument kinds the enforcement point knows (e.g. from the tool's schema); win over config. */
  readonly argKinds?: Readonly<Record<string, ArgKind>>;
  readonly session?: SessionTaint;
  /**
   * Brings `session` up to date before the detectors run (the labels the agent received at other
   * gateways on the store); a failure denies the call.
   */
  readonly syncSession?: () => Promise<void>;
  /**
   * A proposed action screened before anything runs it (a tool call in a model's answer): decided
   * like any call, but it takes no use of the grant and opens no elevation request, since the
   * call itself, if the agent makes it, is decided again. Recorded as `guard.screened`.
   */
  readonly screening?: boolean;
}

export interface GuardDecision {
  readonly decision: Decision;
  /** Safe to show to the agent: never policy text, secrets or argument values. */
  readonly reasons: readonly string[];
  readonly policyIds: readonly string[];
  readonly severity: string;
  readonly facts: Partial<CallFacts>;
  /** For approval_required: the pending grant request a human can approve; then retry. */
  readonly pendingRequest?: string;
  /** For allow: the task grant whose use the call took. */
  readonly grant?: string;
  readonly latencyUs: number;
  /** Resolves with the audit index once the decision is durable; rejects if it could not be. */
  readonly recorded: Promise<number>;
}

/**
 * Task grants (least privilege): which grant in force covers a call, and taking one use of it.
 * A use is taken only after the policies allowed the call, so a denied call costs nothing.
 */
export interface GrantCheck {
  find(
    agent: string,
    action: GuardAction,
    tool: string,
    args: unknown,
  ): Promise<{ readonly id: string; readonly humanApproved: boolean } | undefined>;
  /** False when the grant ended, expired or was used up in the meantime: the call is then denied. */
  consume(grantId: string, agent: string): Promise<boolean>;
  /** Just-in-time elevation: records a pending request for this call; returns its id. */
  elevate?(agent: string, action: GuardAction, tool: string, reason: string): Promise<string>;
}

export interface Authenticate {
  authenticate(credentials: AgentCredentials): Promise<VerifiedAgentRequest>;
  /** True only for a result this authenticator's `authenticate` produced. */
  vouches(verified: VerifiedAgentRequest): boolean;
}

export interface BindingCheck {
  check(
    certificate: VerifiedAgentRequest,
    observed: ObservedBinding,
  ): Promise<{ ok: true } | { ok: false; field: string }>;
}

export interface DecisionRecorder {
  append(
    event: { type: string } & Record<string, unknown>,
    options?: { payloads?: Record<string, string>; handOver?: boolean },
  ): Promise<number>;
}

export interface GuardOptions {
  /** The policy set in force; throws when none could be loaded (every call is then denied). */
  readonly policies: () => PolicySet;
  readonly tools: ReadonlyMap<string, ToolConfig>;
  readonly detection: DetectionSettings;
  readonly grants: GrantCheck;
  readonly audit: DecisionRecorder;
  readonly authenticator?: Authenticate;
  readonly binding?: BindingCheck;
  /** DNS for URL arguments (resolved addresses are classified too); none: literal checks only. */
  readonly lookup?: EgressLookup;
  /** Budget for asynchronous detectors (DNS); over it the call is denied. Default 200 ms. */
  readonly detectorTimeoutMs?: number;
}

/** A step's failure: the reason shown to the agent, and whether it is the agent's fault. */
class StepFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const DEFAULT_DETECTOR_TIMEOUT_MS = 200;

export class Guard {
  readonly #options: GuardOptions;

  constructor(options: GuardOptions) {
    this.#options = options;
  }

  async decide(request: GuardRequest): Promise<GuardDecision> {
    const started = process.hrtime.bigint();
    let outcome: Omit<GuardDecision, 'latencyUs' | 'recorded'>;
    try {
      outcome = await this.#steps(request);
    } catch (error) {
      outcome = {
        decision: 'deny',
        reasons: [failureReason(error)],
        policyIds: [],
        severity: '',
        facts: {},
      };
    }
    const latencyUs = Number(process.hrtime.bigint() - started) / 1000;
    const recorded = this.#record(request, outcome).catch((error: unknown) => {
      throw new ZtError('store-unavailable', 'the decision could not be recorded', {
        cause: error,
      });
    });
    recorded.catch(() => undefined); // the enforcement point observes it; never an unhandled rejection
    return { ...outcome, latencyUs, recorded };
  }

  async #steps(request: GuardRequest): Promise<Omit<GuardDecision, 'latencyUs' | 'recorded'>> {
    await this.#authenticateAndBind(request);
    const configured = this.#options.tools.get(request.tool);
    const tool: ToolConfig | undefined =
      request.argKinds === undefined
        ? configured
        : {
            name: request.tool,
            ...configured,
            argKinds: { ...configured?.argKinds, ...request.argKinds },
          };
    const facts = await this.#detect(request, tool);
    const grant = await this.#options.grants.find(
      request.agent.id,
      request.action,
      request.tool,
      request.args ?? {},
    );
    const outcome = this.#options
      .policies()
      .evaluate(cedarRequest(request, facts, grant !== undefined), entities(request, tool));
    const decided = {
      decision: outcome.decision,
      reasons: outcome.reasons,
      policyIds: outcome.policyIds,
      severity: outcome.severity,
      facts,
    };
    // A human approved exactly this call (a just-in-time elevation): approval policies are satisfied.
    const approved = outcome.decision === 'approval_required' && grant?.humanApproved === true;
    if (outcome.decision === 'approval_required' && !approved)
      return request.screening === true ? decided : this.#elevate(request, decided);
    if (outcome.decision !== 'allow' && !approved) return decided;
    // Least privilege holds whatever the policies say: a permit of a bundle never replaces a grant.
    if (grant === undefined) return { ...decided, decision: 'deny', reasons: [NO_GRANT_REASON] };
    const allowed = { ...decided, decision: 'allow' as const, grant: grant.id };
    if (request.screening === true) return allowed;
    if (await this.#options.grants.consume(grant.id, request.agent.id))
      return approved ? { ...allowed, reasons: ['approved by a human'] } : allowed;
    return { ...decided, decision: 'deny', reasons: ['the task grant has ended or is used up'] };
  }

  /** Just-in-time elevation: a pending request for this call, whose id the agent can wait on. */
  async #elevate(
    request: GuardRequest,
    decided: Omit<GuardDecision, 'latencyUs' | 'recorded'>,
  ): Promise<Omit<GuardDecision, 'latencyUs' | 'recorded'>> {
    const elevate = this.#options.grants.elevate;
    if (elevate === undefined) return decided;
    const pendingRequest = await elevate(
      request.agent.id,
      request.action,
      request.tool,
      decided.reasons.join('; '),
    );
    return { ...decided, pendingRequest };
  }

  /** Steps 1–2: the certificate and proof, then the bindings against what the request carries. */
  async #authenticateAndBind(request: GuardRequest): Promise<void> {
    if (request.credentials === undefined && request.authenticated === undefined) return;
    const authenticator = this.#options.authenticator;
    if (authenticator === undefined) throw new StepFailure('authentication is not configured');
    const verified = await this.#verified(authenticator, request);
    if (verified.claims.agent.id !== request.agent.id)
      throw new StepFailure('the certificate names another agent');
    if (request.observed !== undefined) {
      if (this.#options.binding === undefined)
        throw new StepFailure('binding checks are not configured');
      const bound = await this.#options.binding.check(verified, request.observed);
      if (!bound.ok)
        throw new StepFailure(`drift: ${bound.field} differs from the approved profile`);
    }
  }

  /** The verified request: authenticated here, or vouched for by the authenticator. */
  async #verified(
    authenticator: Authenticate,
    request: GuardRequest,
  ): Promise<VerifiedAgentRequest> {
    if (request.credentials !== undefined && request.authenticated !== undefined)
      throw new StepFailure('a request carries credentials or an authentication, not both');
    if (request.credentials !== undefined) return authenticator.authenticate(request.credentials);
    const authenticated = request.authenticated as VerifiedAgentRequest;
    if (!authenticator.vouches(authenticated))
      throw new StepFailure('the authentication of the request could not be confirmed');
    return authenticated;
  }

  /** Steps 3–4: normalize the arguments and run the detectors, DNS within the time budget. */
  async #detect(request: GuardRequest, tool: ToolConfig | undefined): Promise<CallFacts> {
    await request.syncSession?.();
    const facts = detectCallFacts(
      tool,
      request.tool,
      request.args ?? {},
      request.session,
      this.#options.detection,
    );
    const lookup = this.#options.lookup;
    if (lookup === undefined || !facts.egress.present || !facts.egress.allowed) return facts;
    const budget = this.#options.detectorTimeoutMs ?? DEFAULT_DETECTOR_TIMEOUT_MS;
    const urls = urlArguments(request.args);
    const resolved = await withTimeout(
      Promise.all(
        urls.map((url) =>
          resolveEgress(url, this.#options.detection.egress, lookup, { timeoutMs: budget * 2 }),
        ),
      ),
      budget,
    );
    const allowed = resolved.every((r) => r.facts.allowed);
    const classes = new Set([
      ...facts.egress.addressClasses,
      ...resolved.flatMap((r) => r.facts.answers.map((a) => a.addressClass)),
    ]);
    return {
      ...facts,
      egress: {
        ...facts.egress,
        allowed,
        cloudMetadata: facts.egress.cloudMetadata || resolved.some((r) => r.facts.cloudMetadata),
        addressClasses: [...classes].sort(),
      },
    };
  }

  /**
   * Step 6: the decision into the audit log; arguments go beside it, encrypted, as a payload. The
   * arguments are serialized now, as decided; the event is the guard's own and handed over, so the
   * log prepares it with its batch, after decide() has returned.
   */
  async #record(
    request: GuardRequest,
    outcome: Omit<GuardDecision, 'latencyUs' | 'recorded'>,
  ): Promise<number> {
    const args = request.args === undefined ? undefined : safeJson(request.args);
    return this.#options.audit.append(
      {
        type: request.screening === true ? 'guard.screened' : 'guard.decision',
        agent: request.agent.id,
        action: request.action,
        tool: request.tool,
        decision: outcome.decision,
        reasons: [...outcome.reasons],
        policyIds: [...outcome.policyIds],
        severity: outcome.severity,
        ...(outcome.grant === undefined ? {} : { grant: outcome.grant }),
        // Set only once the request was authenticated: containment reacts to it (docs/containment.md).
        ...(outcome.facts.tool?.honeytoken === true ? { honeytoken: true } : {}),
      },
      args === undefined ? { handOver: true } : { payloads: { args }, handOver: true },
    );
  }
}

function cedarRequest(request: GuardRequest, facts: CallFacts, granted: boolean): CedarRequest {
  return {
    principal: { type: 'Agent', id: request.agent.id },
    action: { type: 'Action', id: request.action },
    resource: { type: 'Tool', id: request.tool },
    context: { granted, ...facts },
  };
}

function entities(request: GuardRequest, tool: ToolConfig | undefined): unknown[] {
  const parents = [
    ...(request.agent.team === undefined ? [] : [{ type: 'Team', id: request.agent.team }]),
    ...(request.agent.mission === undefined
      ? []
      : [{ type: 'Mission', id: request.agent.mission }]),
  ];
  const server = request.tool.includes('/') ? request.tool.split('/')[0] : undefined;
  return [
    {
      uid: { type: 'Agent', id: request.agent.id },
      attrs: { name: request.agent.name ?? request.agent.id, owner: request.agent.owner ?? '' },
      parents,
    },
    {
      uid: { type: 'Tool', id: request.tool },
      attrs: {
        honeytoken: tool?.honeytoken === true,
        privileged: tool?.privileged === true,
        sink: tool?.sink ?? 'external',
      },
      parents: server === undefined ? [] : [{ type: 'Server', id: server }],
    },
  ];
}

function urlArguments(args: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (depth > 32 || found.length > 64) return;
    if (typeof value === 'string' && /^[a-zA-Z][a-zA-Z0-9+.-]{0,31}:\/\//.test(value))
      found.push(value);
    else if (Array.isArray(value)) value.forEach((v) => walk(v, depth + 1));
    else if (typeof value === 'object' && value !== null)
      Object.values(value).forEach((v) => walk(v, depth + 1));
  };
  walk(args, 0);
  return found;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ZtError('detector-timeout', 'a detector did not finish in time')),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The agent-facing reason for a failed step: a stable, safe sentence with the error code. */
function failureReason(error: unknown): string {
  if (error instanceof StepFailure) return error.reason;
  if (error instanceof VerifyError) return `authentication failed: ${error.code}`;
  if (error instanceof ZtError) {
    if (error.code === 'detector-timeout') return 'a detector timed out';
    if (error.code === 'detector-limit') return 'the arguments are too large to inspect';
    if (error.code.startsWith('bundle-') || error.code === 'policy-invalid')
      return 'no valid policy bundle is loaded';
    return `the call could not be checked (${error.code})`;
  }
  return 'the call could not be checked';
}

/** Arguments as JSON for the encrypted payload; values JSON cannot carry are marked, not thrown. */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '"[arguments not representable as JSON]"';
  }
}
