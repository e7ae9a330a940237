// The operator's session: a login link's token (in the URL fragment, never sent to a server log) is
// exchanged once for an HttpOnly cookie; afterwards the session is read back from the API.
import { api, ApiError, setCsrfToken } from './api.js';

export interface Session {
  readonly operator: string;
  readonly roles: readonly string[];
  readonly permissions: readonly string[];
  readonly csrfToken: string;
  readonly expiresAt: string;
}

const LOGIN_FRAGMENT = /^#login=([A-Za-z0-9_-]{43})$/;
const LOGIN_ERROR_FRAGMENT = /^#login-error=([a-z-]{1,40})$/;

const SSO_ERRORS: Readonly<Record<string, string>> = {
  'login-invalid':
    'Single sign-on did not log you in: your account has no zt4ai role, the login was started in another browser, or it took too long.',
  'oidc-unavailable': 'Single sign-on is not available: the identity provider cannot be reached.',
};

/** How operators can log in here: login links (unless turned off) and single sign-on. */
export async function loginMethods(): Promise<{
  readonly loginLink: boolean;
  readonly oidc: boolean;
}> {
  return api.get<{ loginLink: boolean; oidc: boolean }>('/api/session/methods');
}

/** The failure single sign-on sent the browser back with (`#login-error=CODE`), once. */
export function singleSignOnError(): string | undefined {
  const code = LOGIN_ERROR_FRAGMENT.exec(window.location.hash)?.[1];
  if (code === undefined) return undefined;
  history.replaceState(null, '', '/#/');
  return SSO_ERRORS[code] ?? `Single sign-on failed (${code}).`;
}

/** Logs in with a token from the URL fragment if there is one, else resumes the cookie's session. */
export async function startSession(): Promise<Session | undefined> {
  const match = LOGIN_FRAGMENT.exec(window.location.hash);
  if (match?.[1] !== undefined) {
    history.replaceState(null, '', '/#/');
    return adopt(await api.post<Session>('/api/session', { token: match[1] }));
  }
  try {
    return adopt(await api.get<Session>('/api/session'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

export async function loginWithToken(token: string): Promise<Session> {
  return adopt(await api.post<Session>('/api/session', { token: token.trim() }));
}

export async function logout(): Promise<void> {
  await api.delete('/api/session');
  setCsrfToken('');
}

export function can(session: Session, permission: string): boolean {
  return session.permissions.includes(permission);
}

function adopt(session: Session): Session {
  setCsrfToken(session.csrfToken);
  return session;
}
