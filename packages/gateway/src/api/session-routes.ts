// Operator sessions and accounts: redeem a login link, or log in through the organization's identity
// provider (OpenID Connect), for a session cookie; read and end the session; and (admins) manage
// operators and issue their login links.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  grantedPermissions,
  loginUrl,
  OIDC_STATE_TTL_SECONDS,
  type OidcLogin,
  type OperatorAccess,
  type OperatorPrincipal,
  type StartedLogin,
} from '../access/index.js';
import { ZtError } from '../errors.js';
import { SESSION_COOKIE, sessionSecret } from './access-control.js';
import { operatorOnly, PUBLIC } from './route-access.js';

/** Holds the sealed state of a single sign-on between the redirect and the callback. */
const OIDC_COOKIE = 'zt4ai_oidc';
const OIDC_PATH = '/api/session/oidc';

const loginBody = z.strictObject({ token: z.string().min(1).max(200) });
const rolesBody = z.strictObject({ roles: z.array(z.string()).min(1).max(4) });

export interface SessionRouteOptions {
  /** Public base URL: login links point at it, and https makes the cookie Secure. */
  readonly publicUrl: string;
  /** Single sign-on through the organization's identity provider; none: login links only. */
  readonly oidc?: OidcLogin | undefined;
  /** Whether login links work here (false: single sign-on only). */
  readonly loginLinks?: boolean;
}

export function registerSessionRoutes(
  app: FastifyInstance,
  access: OperatorAccess,
  options: SessionRouteOptions,
): void {
  const secure = options.publicUrl.startsWith('https:');
  const setSession = (
    reply: FastifyReply,
    session: { secret: string; expiresAt: string },
  ): void => {
    reply.setCookie(SESSION_COOKIE, session.secret, {
      httpOnly: true,
      sameSite: 'strict',
      secure,
      path: '/',
      expires: new Date(session.expiresAt),
    });
  };
  app.get('/api/session/methods', PUBLIC, async (_request, reply) =>
    noStore(reply).send({
      loginLink: options.loginLinks !== false,
      oidc: options.oidc !== undefined,
    }),
  );
  if (options.oidc !== undefined) registerOidcRoutes(app, access, options.oidc, secure, setSession);
  app.post('/api/session', { config: { access: { kind: 'login' } } }, async (request, reply) => {
    const body = loginBody.safeParse(request.body);
    if (!body.success) throw new ZtError('login-invalid', 'body must be {token}');
    const session = await access.login(body.data.token);
    setSession(reply, session);
    return reply.header('cache-control', 'no-store').send(
      describe({
        name: session.operator.name,
        roles: session.operator.roles,
        csrfToken: session.csrfToken,
        expiresAt: session.expiresAt,
      }),
    );
  });
  app.get('/api/session', operatorOnly('fleet:read'), async (request, reply) =>
    noStore(reply).send(describe(principalOf(request.operator))),
  );
  app.delete('/api/session', operatorOnly('fleet:read'), async (request, reply) => {
    await access.logout(sessionSecret(request), principalOf(request.operator).name);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure });
    return noStore(reply).status(204).send();
  });
  app.get('/api/operators', operatorOnly('operators:manage'), async () => ({
    operators: await access.listOperators(),
  }));
  app.put('/api/operators/:name', operatorOnly('operators:manage'), async (request) => {
    const body = rolesBody.safeParse(request.body);
    if (!body.success) throw new ZtError('invalid-argument', 'body must be {roles: [...]}');
    const { name } = request.params as { name: string };
    return access.setOperator(name, body.data.roles, principalOf(request.operator).name);
  });
  app.post(
    '/api/operators/:name/login-links',
    operatorOnly('operators:manage'),
    async (request, reply) => {
      const { name } = request.params as { name: string };
      const link = await access.issueLoginLink(name, principalOf(request.operator).name);
      return noStore(reply)
        .status(201)
        .send({
          operator: name,
          url: loginUrl(options.publicUrl, link.token),
          expiresAt: link.expiresAt,
        });
    },
  );
}

/**
 * `GET /api/session/oidc` sends the browser to the provider; the provider sends it back to
 * `/callback`, which opens the session and goes to the dashboard. A failed login goes to the
 * dashboard too, with `#login-error=<code>`, and opens nothing.
 */
function registerOidcRoutes(
  app: FastifyInstance,
  access: OperatorAccess,
  oidc: OidcLogin,
  secure: boolean,
  setSession: (reply: FastifyReply, session: { secret: string; expiresAt: string }) => void,
): void {
  const login = { config: { access: { kind: 'login' as const } } };
  const refused = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    const code = error instanceof ZtError ? error.code : 'internal';
    request.log.warn({ code, err: (error as Error).message }, 'single sign-on refused');
    return noStore(reply).redirect(`/#login-error=${code}`, 302);
  };
  app.get(OIDC_PATH, login, async (request, reply) => {
    let started: StartedLogin;
    try {
      started = await oidc.start();
    } catch (error) {
      return refused(request, reply, error);
    }
    reply.setCookie(OIDC_COOKIE, started.cookie, {
      httpOnly: true,
      // The provider's redirect back is a top-level navigation from another site: Lax lets it
      // carry the cookie, Strict would not.
      sameSite: 'lax',
      secure,
      path: OIDC_PATH,
      maxAge: OIDC_STATE_TTL_SECONDS,
    });
    return noStore(reply).redirect(started.url, 302);
  });
  app.get(`${OIDC_PATH}/callback`, login, async (request, reply) => {
    const cookie = request.cookies[OIDC_COOKIE];
    reply.clearCookie(OIDC_COOKIE, { path: OIDC_PATH, httpOnly: true, sameSite: 'lax', secure });
    try {
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const account = await oidc.finish(query, cookie);
      setSession(reply, await access.loginFromProvider(account));
      return noStore(reply).redirect('/', 302);
    } catch (error) {
      return refused(request, reply, error);
    }
  });
}

/** The operator set by the access hook; its absence is a wiring error, refused as such. */
export function principalOf(operator: OperatorPrincipal | null): OperatorPrincipal {
  if (operator === null) throw new ZtError('unauthenticated', 'log in first');
  return operator;
}

function describe(principal: OperatorPrincipal): Record<string, unknown> {
  return {
    operator: principal.name,
    roles: principal.roles,
    permissions: grantedPermissions(principal.roles),
    csrfToken: principal.csrfToken,
    expiresAt: principal.expiresAt,
  };
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}
