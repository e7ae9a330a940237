// Operator sessions and accounts: redeem a login link for a session cookie, read and end the
// session, and (admins) manage operators and issue their login links.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  grantedPermissions,
  loginUrl,
  type OperatorAccess,
  type OperatorPrincipal,
} from '../access/index.js';
import { ZtError } from '../errors.js';
import { SESSION_COOKIE, sessionSecret } from './access-control.js';
import { operatorOnly } from './route-access.js';

const loginBody = z.strictObject({ token: z.string().min(1).max(200) });
const rolesBody = z.strictObject({ roles: z.array(z.string()).min(1).max(4) });

export interface SessionRouteOptions {
  /** Public base URL: login links point at it, and https makes the cookie Secure. */
  readonly publicUrl: string;
}

export function registerSessionRoutes(
  app: FastifyInstance,
  access: OperatorAccess,
  options: SessionRouteOptions,
): void {
  const secure = options.publicUrl.startsWith('https:');
  app.post('/api/session', { config: { access: { kind: 'login' } } }, async (request, reply) => {
    const body = loginBody.safeParse(request.body);
    if (!body.success) throw new ZtError('login-invalid', 'body must be {token}');
    const session = await access.login(body.data.token);
    reply.setCookie(SESSION_COOKIE, session.secret, {
      httpOnly: true,
      sameSite: 'strict',
      secure,
      path: '/',
      expires: new Date(session.expiresAt),
    });
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
