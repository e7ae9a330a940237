// Operator access: who may use the governance API. Login links become sessions; a session resolves
// to an operator and roles read from the store on every request, so a changed role or a removed
// operator takes effect at once. Logins and issued links are audit events.
import {
  DEFAULT_LOGIN_LINK_TTL_SECONDS,
  DEFAULT_OPERATOR_SESSION_TTL_SECONDS,
} from '../config/defaults.js';
import { ZtError } from '../errors.js';
import type { Operator } from '../grants/index.js';
import type { AuditSink } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { LoginLinks } from './login-links.js';
import { type Permission, rolesGrant } from './roles.js';
import { type OpenedSession, Sessions } from './sessions.js';
import { sameToken } from './secret-token.js';

/** The operators this component reads (grants/ keeps them). */
export interface OperatorDirectory {
  get(name: string): Promise<Operator | undefined>;
  list(): Promise<Operator[]>;
  set(name: string, roles: readonly string[]): Promise<Operator>;
  /** Undefined when a local operator has the name (a provider account never takes one over). */
  setFromIdentityProvider(name: string, roles: readonly string[]): Promise<Operator | undefined>;
}

export interface OperatorAccessOptions {
  readonly store: Store;
  readonly operators: OperatorDirectory;
  readonly audit: AuditSink;
  readonly sessionTtlSeconds?: number;
  readonly loginLinkTtlSeconds?: number;
  /** false: no login link is issued or redeemed, and no first admin is made (single sign-on only). */
  readonly loginLinks?: boolean;
  readonly now?: () => Date;
}

/** An authenticated operator, as a request sees it. */
export interface OperatorPrincipal {
  readonly name: string;
  readonly roles: readonly string[];
  readonly csrfToken: string;
  readonly expiresAt: string;
}

/** The name the first start gives its admin. */
export const FIRST_ADMIN = 'admin';

export class OperatorAccess {
  readonly #operators: OperatorDirectory;
  readonly #links: LoginLinks;
  readonly #sessions: Sessions;
  readonly #audit: AuditSink;
  readonly #options: OperatorAccessOptions;

  constructor(options: OperatorAccessOptions) {
    const now = options.now ?? (() => new Date());
    this.#operators = options.operators;
    this.#links = new LoginLinks(options.store.db, now);
    this.#sessions = new Sessions(options.store.db, now);
    this.#audit = options.audit;
    this.#options = options;
  }

  /**
   * On a store without any admin: creates the operator `admin` and returns a login link token for
   * it. Undefined when an admin exists (the link was printed on an earlier start).
   */
  async ensureFirstAdmin(): Promise<
    { operator: string; token: string; expiresAt: string } | undefined
  > {
    if (this.#options.loginLinks === false) return undefined;
    const operators = await this.#operators.list();
    if (operators.some((operator) => operator.roles.includes('admin'))) return undefined;
    await this.#operators.set(FIRST_ADMIN, ['admin']);
    await this.#audit.append({
      type: 'operator.roles',
      actor: 'system:first-start',
      operator: FIRST_ADMIN,
      roles: ['admin'],
    });
    return {
      operator: FIRST_ADMIN,
      ...(await this.issueLoginLink(FIRST_ADMIN, 'system:first-start')),
    };
  }

  /** A one-time login token for an existing operator. */
  async issueLoginLink(
    operator: string,
    actor: string,
  ): Promise<{ token: string; expiresAt: string }> {
    if (this.#options.loginLinks === false)
      throw new ZtError('forbidden', 'login links are turned off (operators.loginLinks: false)');
    if ((await this.#operators.get(operator)) === undefined)
      throw new ZtError('not-found', `no operator "${operator}"`);
    const link = await this.#links.issue(
      operator,
      this.#options.loginLinkTtlSeconds ?? DEFAULT_LOGIN_LINK_TTL_SECONDS,
    );
    await this.#audit.append({
      type: 'operator.login-link.issued',
      actor,
      operator,
      expiresAt: link.expiresAt,
    });
    return link;
  }

  /** Redeems a login token for a session; throws login-invalid for any unusable token. */
  async login(token: unknown): Promise<OpenedSession & { operator: Operator }> {
    if (this.#options.loginLinks === false)
      throw new ZtError('login-invalid', 'login links are turned off: use single sign-on');
    const name = await this.#links.redeem(token);
    const operator = name === undefined ? undefined : await this.#operators.get(name);
    if (operator === undefined)
      throw new ZtError('login-invalid', 'the login link is unknown, used or expired');
    return this.#openSession(operator, {});
  }

  /**
   * Opens a session for an account the identity provider vouched for (access/oidc-login.ts): the
   * operator is created or given the provider's roles; a changed role ends its other sessions.
   */
  async loginFromProvider(account: {
    readonly name: string;
    readonly roles: readonly string[];
    readonly subject: string;
  }): Promise<OpenedSession & { operator: Operator }> {
    const before = await this.#operators.get(account.name);
    const operator = await this.#operators.setFromIdentityProvider(account.name, account.roles);
    if (operator === undefined)
      throw new ZtError(
        'login-invalid',
        'a local operator has this name: log in with a login link',
      );
    if (before === undefined || before.roles.join() !== operator.roles.join()) {
      await this.#sessions.closeAll(operator.name);
      await this.#audit.append({
        type: 'operator.roles',
        actor: 'system:oidc',
        operator: operator.name,
        roles: operator.roles,
      });
    }
    return this.#openSession(operator, { method: 'oidc', subject: account.subject });
  }

  /** A new session of `operator`, recorded as an `operator.login` event with `details`. */
  async #openSession(
    operator: Operator,
    details: Record<string, string>,
  ): Promise<OpenedSession & { operator: Operator }> {
    const session = await this.#sessions.open(
      operator.name,
      this.#options.sessionTtlSeconds ?? DEFAULT_OPERATOR_SESSION_TTL_SECONDS,
    );
    await this.#audit.append({
      type: 'operator.login',
      actor: operator.name,
      operator: operator.name,
      ...details,
    });
    return { ...session, operator };
  }

  /** The operator a session cookie belongs to, with the roles in force now; undefined if none. */
  async authenticate(secret: unknown): Promise<OperatorPrincipal | undefined> {
    const session = await this.#sessions.find(secret);
    if (session === undefined) return undefined;
    const operator = await this.#operators.get(session.operator);
    if (operator === undefined) return undefined;
    return {
      name: operator.name,
      roles: operator.roles,
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
    };
  }

  async logout(secret: unknown, operator: string): Promise<void> {
    await this.#sessions.close(secret);
    await this.#audit.append({ type: 'operator.logout', actor: operator, operator });
  }

  /** Creates or changes an operator; their open sessions end so the new roles apply everywhere. */
  async setOperator(name: string, roles: readonly string[], actor: string): Promise<Operator> {
    const operator = await this.#operators.set(name, roles);
    await this.#sessions.closeAll(name);
    await this.#audit.append({
      type: 'operator.roles',
      actor,
      operator: name,
      roles: operator.roles,
    });
    return operator;
  }

  listOperators(): Promise<Operator[]> {
    return this.#operators.list();
  }

  sweep(): Promise<void> {
    return this.#sessions.sweep();
  }
}

/**
 * The access decision for one request, as data. MUST deny unless a session is present, the
 * request echoes its CSRF token when it changes state, and a role grants the permission.
 */
export function decideOperatorAccess(
  principal: OperatorPrincipal | undefined,
  permission: Permission,
  request: { readonly changesState: boolean; readonly csrfToken: string | undefined },
): { allowed: true } | { allowed: false; code: 'unauthenticated' | 'csrf-invalid' | 'forbidden' } {
  if (principal === undefined) return { allowed: false, code: 'unauthenticated' };
  if (request.changesState && !sameToken(request.csrfToken, principal.csrfToken))
    return { allowed: false, code: 'csrf-invalid' };
  if (!rolesGrant(principal.roles, permission)) return { allowed: false, code: 'forbidden' };
  return { allowed: true };
}
