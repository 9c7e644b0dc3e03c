/**
 * The signed-in session: the pasted token lives in sessionStorage (this browser tab only) and is
 * checked against GET /me before anything else renders. Any 401 later (token revoked or expired)
 * ends the session and the sign-in page says why.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { Api, ApiError, fetchMe, onUnauthorized } from "../api/client";
import type { Me } from "../api/types";

const STORAGE_KEY = "outpost.token";

export interface Session {
  api: Api;
  me: Me;
  signOut: () => void;
}

interface SessionState {
  session: Session | null;
  /** True while a stored token is being checked on load. */
  restoring: boolean;
  notice: string | null;
  signIn: (token: string) => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function describeSignInError(err: unknown): string {
  if (err instanceof ApiError && (err.httpStatus === 401 || err.code === "unauthorized")) {
    return "That token is not valid or has expired. Generate a new token and try again.";
  }
  if (err instanceof ApiError && err.httpStatus === 403) return "That token may not read this console (it lacks the read scope).";
  return err instanceof Error ? err.message : String(err);
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(STORAGE_KEY));
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback(() => {
    sessionStorage.removeItem(STORAGE_KEY);
    setToken(null);
    setMe(null);
  }, []);

  useEffect(() => {
    onUnauthorized(() => {
      setNotice("Your session has ended: the token is no longer valid or has expired. Sign in again.");
      signOut();
    });
    return () => onUnauthorized(null);
  }, [signOut]);

  // A token kept from earlier in this tab: check it once on load.
  useEffect(() => {
    if (!token || me) return;
    fetchMe<Me>(token).then(
      (value) => setMe(value),
      (err: unknown) => {
        setNotice(describeSignInError(err));
        signOut();
      },
    );
    // Only on first load; signIn sets `me` itself.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const signIn = useCallback(async (candidate: string) => {
    const value = await fetchMe<Me>(candidate);
    sessionStorage.setItem(STORAGE_KEY, candidate);
    setNotice(null);
    setToken(candidate);
    setMe(value);
  }, []);

  const session = useMemo<Session | null>(
    () => (token && me ? { api: new Api(token), me, signOut: () => { setNotice("You have signed out."); signOut(); } } : null),
    [token, me, signOut],
  );

  // A token without its user only exists while a stored token is being checked: signIn sets both
  // together, signOut clears both.
  const restoring = token !== null && me === null;

  return <SessionContext.Provider value={{ session, restoring, notice, signIn }}>{children}</SessionContext.Provider>;
}

export function useSessionState(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error("useSessionState outside SessionProvider");
  return state;
}

/** The signed-in session; only rendered below the sign-in gate, so it is always present. */
export function useSession(): Session {
  const { session } = useSessionState();
  if (!session) throw new Error("useSession without a session");
  return session;
}
