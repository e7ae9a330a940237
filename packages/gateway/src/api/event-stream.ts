// GET /api/events: the live activity as Server-Sent Events (WHATWG HTML §9.2). Each new item is one
// `activity` event whose id is its audit index; a comment line every HEARTBEAT_MS keeps proxies from
// closing the stream. A client that cannot keep up loses items once MAX_BUFFERED_BYTES wait for it,
// and is told so (`lagged`); it never slows the server down.
import type { FastifyInstance } from 'fastify';
import type { ActivityFeed } from './activity-feed.js';
import type { ActivityItem } from './activity-summary.js';
import { operatorOnly } from './route-access.js';

const HEARTBEAT_MS = 15_000;
/** What a slow client may have waiting for it before it loses items (a few seconds of events). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export function registerEventStream(app: FastifyInstance, feed: ActivityFeed): void {
  const closers = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of closers) close();
  });
  app.get('/api/events', operatorOnly('fleet:read'), (request, reply) => {
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    out.write(`retry: 2000\n: connected as ${request.operator?.name ?? ''}\n\n`);
    let lagging = false;
    const send = (item: ActivityItem): void => {
      if (lagging) return;
      out.write(`id: ${item.index}\nevent: activity\ndata: ${JSON.stringify(item)}\n\n`);
      if (out.writableLength > MAX_BUFFERED_BYTES) {
        lagging = true;
        out.once('drain', () => {
          lagging = false;
          out.write('event: lagged\ndata: {}\n\n');
        });
      }
    };
    const unsubscribe = feed.subscribe(send);
    const heartbeat = setInterval(() => out.write(': heartbeat\n\n'), HEARTBEAT_MS);
    const close = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      closers.delete(close);
      out.end();
    };
    closers.add(close);
    request.raw.once('close', close);
  });
}
