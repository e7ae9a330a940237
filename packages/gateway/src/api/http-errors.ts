// Maps domain errors to HTTP responses at the edge. Unknown failures get a generic 500 body: no
// stack trace, SQL text or key material ever reaches a client.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ZtErrorCode, ZtError } from '../errors.js';

const STATUS: Partial<Record<ZtErrorCode, number>> = {
  'invalid-json': 400,
  'invalid-entry': 400,
  'invalid-argument': 400,
  'index-out-of-range': 400,
  'invalid-tree-size': 400,
  'invalid-range': 400,
  'entry-too-large': 413,
  'not-found': 404,
  'grant-invalid': 400,
  'grant-ttl-exceeds-mission': 400,
  'grant-outside-mission': 403,
  'grant-not-pending': 409,
  'unknown-tool': 400,
  'not-an-approver': 403,
  'self-approval': 403,
  'profile-not-approved': 403,
  'agent-not-active': 403,
  unauthenticated: 401,
  forbidden: 403,
  'incident-open': 409,
  'incident-not-open': 409,
  'kill-switch-not-engaged': 409,
  'csrf-invalid': 403,
  'login-invalid': 401,
  'store-unavailable': 503,
  'oidc-unavailable': 503,
  'shutting-down': 503,
};

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

export function handleError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof ZtError) {
    const status = STATUS[error.code] ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return status === 500
      ? reply.status(500).send(errorBody('internal', 'internal error'))
      : reply.status(status).send(errorBody(error.code, error.message));
  }
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return reply
      .status(status)
      .send(errorBody(clientCode(error as FastifyError), safeMessage(status)));
  }
  request.log.error({ err: error }, 'request failed');
  return reply.status(500).send(errorBody('internal', 'internal error'));
}

function clientCode(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'entry-too-large';
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'unsupported-media-type';
  if (error.validation !== undefined) return 'invalid-argument';
  return 'invalid-request';
}

function safeMessage(status: number): string {
  if (status === 413) return 'request body too large';
  if (status === 415) return 'unsupported media type';
  return 'invalid request';
}
