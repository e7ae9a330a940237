// Operators for the governance tests: accounts with given roles and their sessions, obtained the
// way a person gets one (a one-time login link redeemed at POST /api/session).
import { OperatorAccess } from '../../src/access/index.js';
import type { ControlPlane } from '../../src/server.js';

export interface OperatorSession {
  readonly cookie: string;
  readonly csrfToken: string;
}

export function accessOf(plane: ControlPlane): OperatorAccess {
  return new OperatorAccess({
    store: plane.store,
    operators: plane.grants.operators,
    audit: plane.audit,
  });
}

/** A login token for a new (or changed) operator with `roles`. */
export async function loginToken(
  plane: ControlPlane,
  name: string,
  roles: readonly string[],
): Promise<string> {
  const access = accessOf(plane);
  await access.setOperator(name, roles, 'test:setup');
  return (await access.issueLoginLink(name, 'test:setup')).token;
}

/** Logs `name` in over HTTP and returns the session cookie and CSRF token. */
export async function operatorSession(
  url: string,
  plane: ControlPlane,
  name: string,
  roles: readonly string[],
): Promise<OperatorSession> {
  return redeemLogin(url, await loginToken(plane, name, roles));
}

/** The login token `zt4ai up` prints on its first start (stderr), once it is there. */
export async function firstStartToken(stderr: () => string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /#login=([A-Za-z0-9_-]{43})/.exec(stderr());
    if (match?.[1] !== undefined) return match[1];
    if (Date.now() > deadline) throw new Error(`no login link on stderr: ${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Redeems a login token at `url`; the session cookie and CSRF token. */
export async function redeemLogin(url: string, token: string): Promise<OperatorSession> {
  const response = await fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (response.status !== 200)
    throw new Error(`login failed: ${response.status} ${await response.text()}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { cookie, csrfToken };
}
