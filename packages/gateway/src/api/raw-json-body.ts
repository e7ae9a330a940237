// JSON bodies parsed strictly, keeping the raw text: proofs of possession hash the exact bytes.
import type { FastifyInstance } from 'fastify';
import { ZtError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

export function parseJsonKeepingRaw(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    try {
      done(null, text === '' ? undefined : (JSON.parse(text) as unknown));
    } catch {
      done(new ZtError('invalid-json', 'request body is not valid JSON'), undefined);
    }
  });
}
