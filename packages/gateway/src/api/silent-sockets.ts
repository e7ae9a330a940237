// A connection that never carried a request (an HTTP client may open one for a request it aborted)
// is not idle to Node's HTTP server, so it would hold a graceful close until its timeout. On close
// such connections are ended; connections with a request in flight are left to finish.
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

export function endSilentSocketsOnClose(app: FastifyInstance): void {
  const silent = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    silent.add(socket);
    socket.once('close', () => silent.delete(socket));
  });
  app.server.on('request', (request: { socket: Socket }) => silent.delete(request.socket));
  app.addHook('preClose', async () => {
    for (const socket of silent) socket.destroy();
  });
}
