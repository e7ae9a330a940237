// Serves the governance center's built files (packages/dashboard/dist): the app shell at `/` and its
// hashed assets under `/assets/`. They carry no data (everything comes from the API after login), so
// they are public; a strict Content-Security-Policy keeps the page to its own scripts.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PUBLIC } from './route-access.js';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The dashboard's build directory, or undefined when it is not installed or not built. */
export function dashboardDir(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@zt4ai/dashboard/package.json');
    const dir = join(dirname(manifest), 'dist');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

export function registerDashboard(app: FastifyInstance, dir: string): void {
  // Loaded when a dashboard is served: the CLI's other commands never pay for it.
  void app.register(import('@fastify/static'), { root: dir, serve: false, decorateReply: true });
  app.get('/', PUBLIC, async (_request, reply) =>
    headers(reply, 'no-store').sendFile('index.html'),
  );
  app.get('/assets/*', PUBLIC, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    return headers(reply, 'public, max-age=31536000, immutable').sendFile(`assets/${file}`);
  });
}

function headers(reply: FastifyReply, cache: string): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', cache);
}
