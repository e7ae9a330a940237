// The LLM gateway's HTTP routes, mounted on the control plane's Fastify server in their own scope:
// the bodies are taken as bytes (the gateway parses them itself, within `llm.maxRequestBytes`), and
// every error — a body too large, a wrong media type — is answered in the shape of the API the
// client speaks, with a stable code.
//
//   POST /v1/chat/completions   OpenAI Chat Completions
//   POST /v1/responses          OpenAI Responses
//   POST /v1/messages           Anthropic Messages
//   GET  /v1/models             the agent's certified model (OpenAI, or Anthropic shape)
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { anthropicMessages } from './anthropic-messages.js';
import { responseSink } from './answer-sink.js';
import type { LlmGateway } from './llm-gateway.js';
import { openaiChat } from './openai-chat.js';
import { openaiResponses } from './openai-responses.js';
import type { LlmEndpoint, LlmProtocol } from './protocol.js';
import { errorBody, type LlmWireError, wireError } from './wire-errors.js';

const ROUTES: ReadonlyArray<readonly [string, LlmProtocol]> = [
  ['/v1/chat/completions', openaiChat],
  ['/v1/responses', openaiResponses],
  ['/v1/messages', anthropicMessages],
];
const JSON_MEDIA = /^application\/json\s*(;|$)/i;

export interface LlmRouteOptions {
  readonly maxRequestBytes: number;
}

/** Registers the routes in their own Fastify scope (content parsing and errors of their own). */
export function registerLlmRoutes(
  app: FastifyInstance,
  gateway: LlmGateway,
  options: LlmRouteOptions,
): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.maxRequestBytes },
      (_request, body, done) => done(null, body),
    );
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const wire = fastifyError(error);
      if (wire.status >= 500) request.log.error({ err: error }, 'model call route failed');
      return reply.status(wire.status).send(errorBody(endpointOf(request), wire));
    });
    for (const [path, protocol] of ROUTES) {
      scope.post(path, { bodyLimit: options.maxRequestBytes }, (request, reply) =>
        handleCall(gateway, protocol, request, reply),
      );
    }
    scope.get('/v1/models', async (request, reply) => {
      reply.hijack();
      await gateway.models(
        { authorization: single(request, 'authorization'), dpop: single(request, 'dpop') },
        pathOf(request),
        request.headers['anthropic-version'] !== undefined,
        responseSink(reply.raw),
      );
    });
  });
}

async function handleCall(
  gateway: LlmGateway,
  protocol: LlmProtocol,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const media = request.headers['content-type'] ?? '';
  if (!JSON_MEDIA.test(media)) {
    const wire = wireError(415, 'unsupported_media_type', 'the body must be application/json');
    await reply.status(415).send(errorBody(protocol.endpoint, wire));
    return;
  }
  reply.hijack();
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  await gateway.call(
    {
      protocol,
      method: request.method,
      path: pathOf(request),
      headers: request.headers,
      body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
    },
    responseSink(reply.raw),
    controller.signal,
  );
}

function fastifyError(error: FastifyError): LlmWireError {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return wireError(413, 'request_too_large', 'the request body is larger than allowed');
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return wireError(415, 'unsupported_media_type', 'the body must be application/json');
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return wireError(400, 'invalid_request', 'invalid request');
  return wireError(500, 'internal', 'internal error');
}

function endpointOf(request: FastifyRequest): LlmEndpoint | 'models' {
  const path = pathOf(request);
  return path === '/v1/messages'
    ? 'messages'
    : path === '/v1/responses'
      ? 'responses'
      : path === '/v1/models'
        ? 'models'
        : 'chat';
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? '/';
}

function single(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}
