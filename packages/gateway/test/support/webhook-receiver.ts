// A webhook receiver on a real port, for containment notifications: it verifies each delivery's
// Standard Webhooks signature with the `standardwebhooks` library, records what it got, and can be
// told to answer slowly or with an error. `stop()` and `start()` on the same port model a receiver
// that is down and comes back.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Delivery {
  readonly id: string;
  readonly body: Record<string, unknown>;
  /** Whether the signature verified with the shared secret. */
  readonly signed: boolean;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly secret: string;
  readonly deliveries: Delivery[];
  /** Requests that reached the receiver, answered or not. */
  attempts: number;
  /** Milliseconds to wait before answering (0: at once). */
  delayMs: number;
  /** Status answered (200 by default). */
  status: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const WEBHOOK_SECRET = `whsec_${Buffer.from('containment-test-secret-0123456789').toString('base64')}`;

export async function webhookReceiver(port = 0): Promise<WebhookReceiver> {
  const verifier = new Webhook(WEBHOOK_SECRET);
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let bound = port;
  const receiver: WebhookReceiver = {
    url: '',
    secret: WEBHOOK_SECRET,
    deliveries: [],
    attempts: 0,
    delayMs: 0,
    status: 200,
    start: async () => {
      server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          receiver.attempts++;
          const text = Buffer.concat(chunks).toString('utf8');
          setTimeout(() => {
            if (response.destroyed) return;
            if (receiver.status < 300) {
              let signed = true;
              try {
                verifier.verify(text, {
                  'webhook-id': String(request.headers['webhook-id']),
                  'webhook-timestamp': String(request.headers['webhook-timestamp']),
                  'webhook-signature': String(request.headers['webhook-signature']),
                });
              } catch {
                signed = false;
              }
              receiver.deliveries.push({
                id: String(request.headers['webhook-id']),
                body: JSON.parse(text) as Record<string, unknown>,
                signed,
              });
            }
            response.writeHead(receiver.status).end();
          }, receiver.delayMs);
        });
      });
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server?.listen(bound, '127.0.0.1', resolve));
      bound = (server.address() as AddressInfo).port;
      (receiver as { url: string }).url = `http://127.0.0.1:${bound}/hooks/zt4ai`;
    },
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (server === undefined) return resolve();
        server.close(() => resolve());
        server = undefined;
      }),
  };
  await receiver.start();
  return receiver;
}
