// Login: single sign-on through the organization's identity provider when it is configured, or the
// token of a one-time login link (the console prints one on first start; admins issue more with
// `zt4ai operator login-link NAME`).
import { useEffect, useState } from 'preact/hooks';
import { loginMethods, loginWithToken, type Session } from '../session.js';

export function Login(props: { onLogin: (session: Session) => void; error?: string | undefined }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(props.error);
  const [methods, setMethods] = useState({ loginLink: true, oidc: false });
  useEffect(() => {
    loginMethods().then(setMethods, () => undefined);
  }, []);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const value = token.includes('#login=') ? (token.split('#login=')[1] ?? '') : token;
    try {
      props.onLogin(await loginWithToken(value));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return (
    <form class="login panel" onSubmit={(e) => void submit(e)}>
      <h1>zt4ai governance center</h1>
      {methods.oidc && (
        <p>
          <a class="button primary" href="/api/session/oidc">
            Sign in with single sign-on
          </a>
        </p>
      )}
      {methods.loginLink && (
        <>
          <p>Open your one-time login link, or paste it here.</p>
          <input
            name="token"
            placeholder="login link or token"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          />
          <button type="submit" class="primary">
            Log in
          </button>
        </>
      )}
      {error !== undefined && <p class="error">{error}</p>}
    </form>
  );
}
