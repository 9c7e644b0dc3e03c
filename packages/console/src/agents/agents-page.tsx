/**
 * /agents: the All Agents and Agent Pools tabs, Generate Token at the top right, and the bottom
 * agent detail panel that both tabs open (a row click on All Agents, an agent on a pool's tab).
 */
import { useState } from "react";
import { useLocation, useNavigate } from "react-router-dom";
import { Tabs } from "../components/tabs";
import { KeyIcon } from "../components/icons";
import { AgentsTab } from "./agents-tab";
import { PoolsTab } from "../pools/pools-tab";
import { GenerateTokenDialog } from "./generate-token-dialog";
import { AgentDetailPanel } from "./agent-detail-panel";

type TabKey = "all" | "pools";

export function AgentsPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const tab: TabKey = location.pathname.startsWith("/agents/pools") ? "pools" : "all";
  const [tokenOpen, setTokenOpen] = useState(false);
  const [openAgentId, setOpenAgentId] = useState<string | null>(null);

  return (
    <div className="split-page">
      <main className="page page-scroll" aria-labelledby="agents-title">
        <div className="page-head">
          <h1 id="agents-title">Agents</h1>
          <button type="button" className="btn" onClick={() => setTokenOpen(true)}>
            <KeyIcon /> Generate Token
          </button>
        </div>
        <Tabs
          id="agents-tabs"
          label="Agents views"
          value={tab}
          onChange={(key) => navigate(key === "pools" ? "/agents/pools" : "/agents")}
          tabs={[
            { key: "all", label: "All Agents" },
            { key: "pools", label: "Agent Pools" },
          ]}
        />
        <div role="tabpanel" id="agents-tabs-panel" aria-labelledby={`agents-tabs-tab-${tab}`}>
          {tab === "all" ? <AgentsTab openAgentId={openAgentId} onOpenAgent={setOpenAgentId} /> : <PoolsTab onOpenAgent={setOpenAgentId} />}
        </div>
      </main>
      {openAgentId && <AgentDetailPanel key={openAgentId} agentId={openAgentId} onClose={() => setOpenAgentId(null)} />}
      {tokenOpen && <GenerateTokenDialog onClose={() => setTokenOpen(false)} />}
    </div>
  );
}
