// The agentic certificate's claims (docs/identity.md, DESIGN §4) and their shape check.
import { VerifyError } from '../errors.js';
import { isJsonObject } from './json.js';
import type { JsonObject } from './json.js';

/** Claims of a verified agentic certificate (docs/identity.md). Unknown extra claims are kept. */
export interface AgentCertificateClaims {
  /** Issuer URL of the control plane. */
  iss: string;
  /** `spiffe://<trust-domain>/agent/<agent-id>`. */
  sub: string;
  /** The gateway audience(s). */
  aud: string | string[];
  /** Issued at (epoch seconds). */
  iat: number;
  /** Not before (epoch seconds). */
  nbf: number;
  /** Expires (epoch seconds). */
  exp: number;
  /** Unique id, for revocation. */
  jti: string;
  /** Confirmation (RFC 7800): the RFC 7638 thumbprint of the agent's own Ed25519 key. */
  cnf: { jkt: string };
  /** The agent; `version` is its approved profile version. */
  agent: { id: string; name: string; version: number; owner: string };
  /** The pinned model snapshot, and its weights digest when known. */
  model: { provider: string; name: string; version: string; digest?: string };
  /** SHA-256 (base64url) of the RFC 8785 JSON of `{template, tools, params}`. */
  prompt: { digest: string };
  /** The signed mission manifest in force. */
  mission: { id: string; digest: string };
  /** On whose behalf the agent acts (RFC 8693). */
  act?: { sub: string };
}

/** Claims that passed {@link checkClaimsShape}; `cnf` is checked separately (it has its own code). */
export type UnboundClaims = Omit<AgentCertificateClaims, 'cnf'> & { cnf?: unknown };

const BASE64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;

function text(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function time(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function object(v: unknown, ...members: string[]): v is JsonObject {
  return isJsonObject(v) && members.every((m) => text(v[m]));
}

function audience(v: unknown): boolean {
  return text(v) || (Array.isArray(v) && v.length > 0 && v.every(text));
}

/**
 * Throws VerifyError `claims-invalid` unless every required claim is present with its shape:
 * non-empty strings, `sub` a SPIFFE id, `aud` a string or non-empty string array, times finite
 * non-negative numbers with `nbf` and `iat` before `exp`, `agent.version` a non-negative integer.
 */
export function checkClaimsShape(c: JsonObject): asserts c is JsonObject & UnboundClaims {
  const ok =
    text(c['iss']) &&
    text(c['sub']) &&
    c['sub'].startsWith('spiffe://') &&
    audience(c['aud']) &&
    time(c['iat']) &&
    time(c['nbf']) &&
    time(c['exp']) &&
    c['iat'] < c['exp'] &&
    c['nbf'] < c['exp'] &&
    text(c['jti']) &&
    object(c['agent'], 'id', 'name', 'owner') &&
    Number.isSafeInteger(c['agent']['version']) &&
    (c['agent']['version'] as number) >= 0 &&
    object(c['model'], 'provider', 'name', 'version') &&
    (c['model']['digest'] === undefined || text(c['model']['digest'])) &&
    object(c['prompt'], 'digest') &&
    object(c['mission'], 'id', 'digest') &&
    (c['act'] === undefined || object(c['act'], 'sub'));
  if (!ok) throw new VerifyError('claims-invalid');
}

/**
 * Throws VerifyError `cnf-missing` when there is no `cnf.jkt` (a bearer token), `claims-invalid`
 * when `cnf.jkt` is not a base64url SHA-256.
 */
export function checkConfirmation(c: UnboundClaims): asserts c is AgentCertificateClaims {
  const cnf = c.cnf;
  if (!isJsonObject(cnf) || cnf['jkt'] === undefined) throw new VerifyError('cnf-missing');
  const jkt = cnf['jkt'];
  if (typeof jkt !== 'string' || !BASE64URL_SHA256.test(jkt)) {
    throw new VerifyError('claims-invalid');
  }
}

/** Freezes parsed claims all the way down, so a cached certificate cannot be changed by a caller. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
