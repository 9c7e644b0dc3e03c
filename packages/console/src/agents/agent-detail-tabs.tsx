/** The agent panel's tabs: installed modules with their catalog functions, and the two timelines. */
import { useSession } from "../auth/session";
import { useLoad } from "../api/use-paged-list";
import type { AgentModuleFunctions, ModuleHistoryEntry, StatusHistoryEntry } from "../api/types";
import { AgentStatusBadge } from "../components/badge";
import { formatTime } from "../components/format";
import { Empty, ErrorState, Loading } from "../components/states";

interface TabProps {
  agentId: string;
  /** Bumped on each pushed change of the agent, to refetch. */
  version: number;
}

function useAgentList<T>(agentId: string, path: string, version: number) {
  const { api } = useSession();
  return useLoad(() => api.list<T>(`/agents/${encodeURIComponent(agentId)}/${path}`, { limit: 200, order: path === "modules" ? undefined : "desc" }), `${agentId}:${path}:${version}`);
}

export function ModulesTab({ agentId, version }: TabProps) {
  const state = useAgentList<AgentModuleFunctions>(agentId, "modules", version);
  if (state.error) return <ErrorState message={state.error} onRetry={() => state.reload()} />;
  if (!state.data) return <Loading label="Loading modules…" />;
  if (state.data.items.length === 0) return <Empty title="No modules installed on this agent." />;
  return (
    <ul className="module-list">
      {state.data.items.map((m) => (
        <li key={`${m.name}@${m.version}`} className="module-card">
          <div className="module-card-head">
            <strong>{m.name}</strong> <span className="mono">{m.version}</span>
            <span className="muted small">{m.installed_at ? `Installed ${formatTime(m.installed_at)}` : "Install time unknown"}</span>
          </div>
          {!m.in_catalog && <p className="muted small">This version is not in the module catalog.</p>}
          {m.functions.length > 0 ? (
            <ul className="function-list" aria-label={`Functions of ${m.name}`}>
              {m.functions.map((f) => (
                <li key={f.name} title={f.name}>
                  {f.display_name}
                </li>
              ))}
            </ul>
          ) : (
            m.in_catalog && <p className="muted small">No functions.</p>
          )}
        </li>
      ))}
    </ul>
  );
}

const ACTION_LABEL = { install: "Installed", update: "Updated", remove: "Removed" } as const;

export function ModuleHistoryTab({ agentId, version }: TabProps) {
  const state = useAgentList<ModuleHistoryEntry>(agentId, "module-history", version);
  if (state.error) return <ErrorState message={state.error} onRetry={() => state.reload()} />;
  if (!state.data) return <Loading label="Loading module history…" />;
  if (state.data.items.length === 0) return <Empty title="No module changes recorded yet." />;
  return (
    <ol className="timeline">
      {state.data.items.map((e) => (
        <li key={e.id}>
          <time dateTime={e.at}>{formatTime(e.at)}</time>
          <span>
            {ACTION_LABEL[e.action]} <strong>{e.module}</strong>{" "}
            {e.action === "update" ? `${e.from_version ?? "?"} → ${e.to_version ?? "?"}` : (e.to_version ?? e.from_version ?? "")}
            <span className={`outcome outcome-${e.outcome}`}> · {e.outcome}</span>
            {e.message && <span className="muted"> — {e.message}</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}

export function StatusHistoryTab({ agentId, version }: TabProps) {
  const state = useAgentList<StatusHistoryEntry>(agentId, "status-history", version);
  if (state.error) return <ErrorState message={state.error} onRetry={() => state.reload()} />;
  if (!state.data) return <Loading label="Loading status history…" />;
  if (state.data.items.length === 0) return <Empty title="No status changes recorded yet." />;
  return (
    <ol className="timeline">
      {state.data.items.map((e) => (
        <li key={e.id}>
          <time dateTime={e.at}>{formatTime(e.at)}</time>
          <span className="timeline-status">
            {e.from ? <AgentStatusBadge status={e.from} /> : <span className="muted">new</span>} <span aria-label="to">→</span> <AgentStatusBadge status={e.to} />
            <span className="muted"> {e.reason.replace(/_/g, " ")}</span>
          </span>
        </li>
      ))}
    </ol>
  );
}
