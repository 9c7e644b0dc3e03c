/** The bottom agent detail panel: splitter, header (name, status, OS, version, collapse, close) and four tabs. */
import { useState } from "react";
import { Link } from "react-router-dom";
import { useSession } from "../auth/session";
import { useChanges } from "../api/events";
import { useLoad } from "../api/use-paged-list";
import type { Agent } from "../api/types";
import { AgentStatusBadge } from "../components/badge";
import { ChevronIcon, CloseIcon } from "../components/icons";
import { ErrorState, Loading } from "../components/states";
import { TabPanel, Tabs } from "../components/tabs";
import { ModuleHistoryTab, ModulesTab, StatusHistoryTab } from "./agent-detail-tabs";
import { ProfileTab } from "./agent-profile-tab";
import { AgentFacts } from "./agent-facts";
import { useSplitter } from "./splitter";

type TabKey = "modules" | "profile" | "module-history" | "status-history";

export function AgentDetailPanel({ agentId, onClose }: { agentId: string; onClose: () => void }) {
  const { api } = useSession();
  const agent = useLoad(() => api.get<Agent>(`/agents/${encodeURIComponent(agentId)}`), agentId);
  const [tab, setTab] = useState<TabKey>("modules");
  const [collapsed, setCollapsed] = useState(false);
  const [version, setVersion] = useState(0);
  const splitter = useSplitter();
  useChanges(["agent.updated"], (event) => {
    if (event.id !== agentId) return;
    agent.reload(true);
    setVersion((v) => v + 1);
  });

  const a = agent.data;
  const name = a?.name ?? "Agent";
  return (
    <section className="detail-panel" aria-label={`Agent details: ${name}`} style={collapsed ? undefined : { height: splitter.height }}>
      {!collapsed && (
        <div
          className="splitter"
          role="separator"
          aria-orientation="horizontal"
          aria-label="Resize agent details"
          aria-valuenow={splitter.height}
          aria-valuemin={splitter.min}
          aria-valuemax={splitter.max}
          tabIndex={0}
          onPointerDown={splitter.onPointerDown}
          onKeyDown={splitter.onKeyDown}
        />
      )}
      <header className="detail-head">
        <h2 className="detail-title">{name}</h2>
        {a && <AgentStatusBadge status={a.status} />}
        {a && (
          <span className="muted detail-meta">
            <span title="Host OS">{a.host_os || "Unknown OS"}</span> · <span title="Agent version">v{a.version}</span>
            {a.archived && " · Archived"}
            {a.paused && !a.archived && " · Paused"}
          </span>
        )}
        <span className="spacer" />
        <Link className="btn btn-small btn-ghost" to={`/runs?agent=${encodeURIComponent(agentId)}`}>
          View runs
        </Link>
        <button
          type="button"
          className="icon-btn"
          aria-label={collapsed ? "Expand agent details" : "Collapse agent details"}
          aria-expanded={!collapsed}
          onClick={() => setCollapsed((v) => !v)}
        >
          <ChevronIcon up={collapsed} />
        </button>
        <button type="button" className="icon-btn" aria-label="Close agent details" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      {!collapsed && (
        <div className="detail-body">
          {agent.loading && !a && <Loading label="Loading agent…" />}
          {agent.error && <ErrorState message={agent.error} onRetry={() => agent.reload()} />}
          {a && (
            <>
              <AgentFacts agent={a} version={version} />
              <Tabs
                id="agent-detail"
                label="Agent details"
                value={tab}
                onChange={setTab}
                tabs={[
                  { key: "modules", label: "Modules & Functions" },
                  { key: "profile", label: "Profile" },
                  { key: "module-history", label: "Modules History" },
                  { key: "status-history", label: "Status History" },
                ]}
              />
              <TabPanel id="agent-detail" value={tab}>
                {tab === "modules" && <ModulesTab agentId={agentId} version={version} />}
                {tab === "profile" && <ProfileTab agent={a} onSaved={() => agent.reload(true)} />}
                {tab === "module-history" && <ModuleHistoryTab agentId={agentId} version={version} />}
                {tab === "status-history" && <StatusHistoryTab agentId={agentId} version={version} />}
              </TabPanel>
            </>
          )}
        </div>
      )}
    </section>
  );
}
