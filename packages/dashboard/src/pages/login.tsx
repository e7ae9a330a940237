// Login: paste the token of a one-time login link (the console prints one on first start; admins
// issue more with `zt4ai operator login-link NAME`).
import { useState } from 'preact/hooks';
import { loginWithToken, type Session } from '../session.js';

export function Login(props: { onLogin: (session: Session) => void; error?: string | undefined }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(props.error);
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
      {error !== undefined && <p class="error">{error}</p>}
    </form>
  );
}
