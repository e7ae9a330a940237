// A free TCP port on the loopback interface: the demo's issuer URL must name its port before the
// server starts (certificates and proofs carry it).
import { createServer } from 'node:net';

export function freeLoopbackPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address !== null ? address.port : 0),
      );
    });
  });
}
