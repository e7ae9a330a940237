// The protocol paths of issuance and of the authenticated fetch that the real control plane does
// not take on demand: nonce challenges, server errors, malformed answers and bodies that cannot
// be sent twice. A small HTTP server plays the issuer and the gateway.
import { afterEach, describe, expect, it } from 'vitest';
import { AgentIdentity, SdkError } from '../src/index.js';
import {
  fakeCertificate,
  proofClaims,
  type StubRequest,
  type StubResponse,
  type StubServer,
  startStub,
  unauthorized,
  useNonce,
} from './support/stub-server.js';

const NONCE_PATH = '/api/identity/nonce';
const CERT_PATH = '/api/identity/certificates';

let stub: StubServer | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

/** An issuer that hands out valid-looking certificates for the identity's key. */
async function serve(
  gateway: (request: StubRequest, index: number) => StubResponse | Promise<StubResponse>,
  issuance?: (
    request: StubRequest,
    count: number,
  ) => StubResponse | Promise<StubResponse> | undefined,
): Promise<{ identity: AgentIdentity; stub: StubServer; issued: () => number }> {
  const created: { identity?: AgentIdentity } = {};
  let issued = 0;
  stub = await startStub(async (request, index) => {
    if (request.path === NONCE_PATH) return { status: 200, json: { nonce: `nonce-${index}` } };
    if (request.path === CERT_PATH) {
      issued += 1;
      const special = await issuance?.(request, issued);
      if (special !== undefined) return special;
      const certificate = await fakeCertificate(
        await (created.identity as AgentIdentity).thumbprint(),
      );
      return { status: 201, json: { certificate, jti: 'x', expiresAt: 0 } };
    }
    return gateway(request, index);
  });
  const options = {
    issuer: stub.url,
    agent: 'a',
    model: { provider: 'p', name: 'n', version: 'v' },
    prompt: { template: 't', tools: [] as unknown[] },
  };
  const identity = await AgentIdentity.create(options);
  created.identity = identity;
  // The identity presents the profile it was created with, whatever the caller changes later.
  options.prompt.tools.push({ name: 'added later' });
  options.model.version = 'changed later';
  return { identity, stub, issued: () => issued };
}

const ok: StubResponse = { status: 200, json: { ok: true } };
const gatewayRequests = (s: StubServer): StubRequest[] =>
  s.requests.filter((r) => r.path.startsWith('/tool'));

async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SdkError);
  return error as SdkError;
}

describe('issuance protocol', () => {
  it('sends the nonce and an ath over the exact body bytes', async () => {
    const { identity, stub } = await serve(() => ok);
    await identity.certificate();
    const request = stub.requests.find((r) => r.path === CERT_PATH) as StubRequest;
    const claims = proofClaims(request);
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(request.body));
    expect(claims).toMatchObject({
      htm: 'POST',
      htu: `${stub.url}${CERT_PATH}`,
      nonce: 'nonce-0',
      ath: Buffer.from(digest).toString('base64url'),
    });
    expect(JSON.parse(request.body)).toEqual({
      agent: 'a',
      model: { provider: 'p', name: 'n', version: 'v' },
      prompt: { template: 't', tools: [], params: {} },
    });
    expect(request.headers['content-type']).toBe('application/json');
  });

  it('retries once with the nonce of a use_dpop_nonce challenge', async () => {
    const { identity, stub, issued } = await serve(
      () => ok,
      (_request, count) => (count === 1 ? useNonce('fresh-nonce') : undefined),
    );
    await identity.certificate();
    expect(issued()).toBe(2);
    const last = stub.requests.filter((r) => r.path === CERT_PATH)[1] as StubRequest;
    expect(proofClaims(last).nonce).toBe('fresh-nonce');
  });

  it('does not retry a second challenge: issuance-refused', async () => {
    const { identity, issued } = await serve(
      () => ok,
      () => useNonce('again'),
    );
    const error = await sdkError(identity.certificate());
    expect(error.code).toBe('issuance-refused');
    expect(error.detail).toEqual({ status: 401, serverCode: 'proof-nonce-invalid' });
    expect(issued()).toBe(2);
  });

  it('reports a server error as issuer-error', async () => {
    const { identity } = await serve(
      () => ok,
      () => ({ status: 500, json: { error: { code: 'internal', message: 'internal error' } } }),
    );
    const error = await sdkError(identity.certificate());
    expect(error.code).toBe('issuer-error');
    expect(error.detail).toEqual({ status: 500, serverCode: 'internal' });
  });

  it('reports a 201 without a certificate as issuer-error', async () => {
    const { identity } = await serve(
      () => ok,
      () => ({ status: 201, json: { jti: 'x' } }),
    );
    expect((await sdkError(identity.certificate())).code).toBe('issuer-error');
  });

  it('refuses a certificate that is not a JWT: certificate-invalid', async () => {
    const { identity } = await serve(
      () => ok,
      () => ({ status: 201, json: { certificate: 'not-a-jwt' } }),
    );
    expect((await sdkError(identity.certificate())).code).toBe('certificate-invalid');
  });

  it('refuses a certificate bound to another key: certificate-invalid', async () => {
    const certificate = await fakeCertificate('another-thumbprint');
    const { identity } = await serve(
      () => ok,
      () => ({ status: 201, json: { certificate } }),
    );
    expect((await sdkError(identity.certificate())).code).toBe('certificate-invalid');
  });
});

describe('authenticated fetch', () => {
  it('attaches AgentCert and a proof for this method and URL, keeping the caller headers', async () => {
    const { identity, stub } = await serve(() => ok);
    const response = await identity.fetch(`${stub.url}/tool/call?x=1`, {
      method: 'post',
      headers: { 'x-trace': 't1', authorization: 'Bearer nope' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(200);
    const [request] = gatewayRequests(stub);
    const certificate = await identity.certificate();
    expect(request?.headers['authorization']).toBe(`AgentCert ${certificate}`);
    expect(request?.headers['x-trace']).toBe('t1');
    expect(request?.body).toBe('{"a":1}');
    const claims = proofClaims(request as StubRequest);
    expect(claims).toMatchObject({ htm: 'POST', htu: `${stub.url}/tool/call` });
  });

  it('accepts a Request object', async () => {
    const { identity, stub } = await serve(() => ok);
    const response = await identity.fetch(
      new Request(`${stub.url}/tool/r`, { method: 'PUT', headers: { 'x-a': 'b' } }),
    );
    expect(response.status).toBe(200);
    const [request] = gatewayRequests(stub);
    expect(request?.headers['x-a']).toBe('b');
    expect(proofClaims(request as StubRequest).htm).toBe('PUT');
  });

  it('retries once with the nonce of a use_dpop_nonce challenge, and keeps using the newest nonce', async () => {
    const { identity, stub } = await serve((_request, index) =>
      index === 2 ? useNonce('n-1') : { ...ok, headers: { 'dpop-nonce': `n-${index}` } },
    );
    expect((await identity.fetch(`${stub.url}/tool/a`)).status).toBe(200);
    expect((await identity.fetch(`${stub.url}/tool/b`)).status).toBe(200);
    const [first, second, third] = gatewayRequests(stub).map(proofClaims);
    expect(first?.nonce).toBeUndefined();
    expect(second?.nonce).toBe('n-1');
    expect(third?.nonce).toBe('n-3');
  });

  it.each(['expired', 'revoked', 'profile-changed'])(
    'on 401 %s renews the certificate once and retries',
    async (code) => {
      const { identity, stub, issued } = await serve((_request, index) =>
        index === 2 ? unauthorized(code) : ok,
      );
      const before = await identity.certificate();
      const response = await identity.fetch(`${stub.url}/tool/a`, { method: 'POST', body: 'x' });
      expect(response.status).toBe(200);
      expect(issued()).toBe(2);
      const [refused, retried] = gatewayRequests(stub);
      expect(refused?.headers['authorization']).toBe(`AgentCert ${before}`);
      expect(retried?.headers['authorization']).toBe(`AgentCert ${await identity.certificate()}`);
      expect(retried?.body).toBe('x');
      expect(await identity.certificate()).not.toBe(before);
    },
  );

  it('retries a refused certificate only once', async () => {
    const { identity, stub, issued } = await serve(() => unauthorized('revoked'));
    const response = await identity.fetch(`${stub.url}/tool/a`);
    expect(response.status).toBe(401);
    expect(gatewayRequests(stub)).toHaveLength(2);
    expect(issued()).toBe(2);
  });

  it('hands other 401s back untouched, body readable', async () => {
    const { identity, stub } = await serve(() => unauthorized('agent-not-active'));
    const response = await identity.fetch(`${stub.url}/tool/a`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { code: 'agent-not-active', message: 'agent-not-active' },
    });
    expect(gatewayRequests(stub)).toHaveLength(1);
  });

  it('does not retry a request whose body is a stream', async () => {
    const { identity, stub, issued } = await serve(() => unauthorized('expired'));
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const response = await identity.fetch(`${stub.url}/tool/a`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(401);
    expect(gatewayRequests(stub)).toHaveLength(1);
    expect(issued()).toBe(1);
  });

  it('rejects with the SdkError when no certificate can be obtained', async () => {
    const { identity, stub } = await serve(
      () => ok,
      () => ({ status: 403, json: { error: { code: 'agent-not-active', message: 'x' } } }),
    );
    const error = await sdkError(identity.fetch(`${stub.url}/tool/a`));
    expect(error.code).toBe('agent-not-active');
    expect(gatewayRequests(stub)).toHaveLength(0);
  });
});
