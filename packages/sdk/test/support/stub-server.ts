// A small real HTTP server that plays issuer or gateway for the protocol paths the real control
// plane never takes (its nonces outlive a test; it does not send broken certificates or 500s).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, SignJWT, generateKeyPair } from 'jose';

export interface StubRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface StubResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
}

export interface StubServer {
  readonly url: string;
  readonly requests: StubRequest[];
  close(): Promise<void>;
}

/** Serves every request with `handle`, recording the requests. */
export async function startStub(
  handle: (request: StubRequest, index: number) => StubResponse | Promise<StubResponse>,
): Promise<StubServer> {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      void Promise.resolve(handle(request, requests.length - 1)).then((response) => {
        res.writeHead(response.status, {
          ...(response.json === undefined ? {} : { 'content-type': 'application/json' }),
          ...response.headers,
        });
        res.end(response.json === undefined ? undefined : JSON.stringify(response.json));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The claims of the DPoP proof a request carried. */
export function proofClaims(request: StubRequest): Record<string, unknown> {
  const proof = request.headers['dpop'];
  if (typeof proof !== 'string') throw new Error('request carried no proof');
  return decodeJwt(proof);
}

/** A certificate-shaped JWT (signed by a throwaway key) with the given `cnf.jkt`. */
export async function fakeCertificate(jkt: string, ttlSeconds = 600): Promise<string> {
  const { privateKey } = await generateKeyPair('Ed25519');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ cnf: { jkt } })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'agent-cert+jwt' })
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .setJti(crypto.randomUUID())
    .sign(privateKey);
}

/** 401 with a gateway error code (docs/identity.md). */
export function unauthorized(code: string, headers: Record<string, string> = {}): StubResponse {
  return {
    status: 401,
    headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof", algs="EdDSA"', ...headers },
    json: { error: { code, message: code } },
  };
}

/** 401 `use_dpop_nonce` with a fresh nonce (RFC 9449 §8). */
export function useNonce(nonce: string): StubResponse {
  return {
    status: 401,
    headers: {
      'www-authenticate': 'DPoP error="use_dpop_nonce", algs="EdDSA"',
      'dpop-nonce': nonce,
    },
    json: { error: { code: 'proof-nonce-invalid', message: 'nonce' } },
  };
}
