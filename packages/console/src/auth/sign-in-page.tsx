/** Sign in by pasting a personal access token; the reason for a failure is said plainly. */
import { useState, type FormEvent } from "react";
import { describeSignInError, useSessionState } from "./session";

export function SignInPage() {
  const { signIn, notice } = useSessionState();
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError("Paste a token to sign in.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(value);
    } catch (err) {
      setError(describeSignInError(err));
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title" noValidate>
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">◆</span> Outpost
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p className="muted">
          Paste a personal access token. It is kept for this browser tab only and forgotten when you sign out or close the tab.
        </p>
        {notice && !error && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label htmlFor="signin-token">Access token</label>
        <input
          id="signin-token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          placeholder="opat_…"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "signin-error" : undefined}
          autoFocus
        />
        {error && (
          <p id="signin-error" className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
