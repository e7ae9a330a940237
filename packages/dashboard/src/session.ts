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
