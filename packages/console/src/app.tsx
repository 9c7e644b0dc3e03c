/** The console's shell: sign-in gate, then navigation and the Overview, Agents and Runs pages. */
import { Navigate, NavLink, Route, Routes, useLocation } from "react-router-dom";
import { ChangeFeedProvider } from "./api/events";
import { SessionProvider, useSession, useSessionState } from "./auth/session";
import { SignInPage } from "./auth/sign-in-page";
import { AgentsPage } from "./agents/agents-page";
import { RunsPage } from "./runs/runs-page";
import { OverviewPage } from "./overview/overview-page";
import { TriggersPage } from "./triggers/triggers-page";
import { SharedReportPage } from "./runs/shared-report-page";
import { Loading } from "./components/states";
import { ToastProvider } from "./components/toast";

export function App() {
  return (
    <SessionProvider>
      <ToastProvider>
        <Gate />
      </ToastProvider>
    </SessionProvider>
  );
}

function Gate() {
  const { session, restoring } = useSessionState();
  const { pathname } = useLocation();
  // A share link is read-only and works without a token.
  const shared = /^\/shared\/reports\/([^/]+)$/.exec(pathname);
  if (shared) return <SharedReportPage secret={decodeURIComponent(shared[1]!)} />;
  if (restoring) return <Loading label="Checking your session…" />;
  if (!session) return <SignInPage />;
  return (
    <ChangeFeedProvider token={session.api.token}>
      <Shell />
    </ChangeFeedProvider>
  );
}

function Shell() {
  const { me, signOut } = useSession();
  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{" "}
          Outpost
        </div>
        <nav className="nav" aria-label="Main">
          <NavLink to="/overview" className="nav-link">
            Overview
          </NavLink>
          <NavLink to="/agents" className="nav-link">
            Agents
          </NavLink>
          <NavLink to="/runs" className="nav-link">
            Runs
          </NavLink>
          <NavLink to="/triggers" className="nav-link">
            Triggers
          </NavLink>
        </nav>
        <div className="user">
          <span className="user-name" title={me.orgs.map((m) => m.org.name).join(", ")}>
            {me.user.name}
          </span>
          <button type="button" className="btn btn-small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <Routes>
        <Route path="/" element={<Navigate to="/agents" replace />} />
        <Route path="/overview" element={<OverviewPage />} />
        <Route path="/agents/*" element={<AgentsPage />} />
        <Route path="/runs" element={<RunsPage />} />
        <Route path="/runs/:runId" element={<RunsPage />} />
        <Route path="/triggers" element={<TriggersPage />} />
        <Route path="/triggers/:triggerId" element={<TriggersPage />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </div>
  );
}

function NotFound() {
  return (
    <main className="page">
      <h1>Page not found</h1>
      <p>
        <NavLink to="/agents">Go to Agents</NavLink>
      </p>
    </main>
  );
}
