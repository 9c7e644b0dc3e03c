/** The selected pool: name, description and the Overview, Agents, Users and Jobs tabs. */
import { useState } from "react";
import { useSession } from "../auth/session";
import { useChanges } from "../api/events";
import { useLoad } from "../api/use-paged-list";
import type { Pool } from "../api/types";
import { ErrorState, Loading } from "../components/states";
import { TabPanel, Tabs } from "../components/tabs";
import { PoolOverviewTab } from "./pool-overview-tab";
import { PoolAgentsTab } from "./pool-agents-tab";
import { PoolUsersTab } from "./pool-users-tab";
import { PoolJobsTab } from "./pool-jobs-tab";

type TabKey = "overview" | "agents" | "users" | "jobs";

interface Props {
  poolId: string;
  onOpenAgent: (id: string) => void;
}

export function PoolDetail({ poolId, onOpenAgent }: Props) {
  const { api } = useSession();
  const pool = useLoad(() => api.get<Pool>(`/pools/${encodeURIComponent(poolId)}`), poolId);
  const [tab, setTab] = useState<TabKey>("overview");
  const [version, setVersion] = useState(0);
  const bump = () => setVersion((v) => v + 1);
  useChanges(["pool.updated"], (event) => {
    if (event.id !== poolId) return;
    pool.reload(true);
    bump();
  });
  // Agents in the pool change status: their rows and the coverage numbers follow.
  useChanges(["agent.updated", "job.updated"], () => {
    if (tab !== "users") bump();
  });

  if (pool.error) {
    const missing = pool.error && pool.data === null;
    return <ErrorState message={missing ? `This pool could not be loaded: ${pool.error}` : pool.error} onRetry={() => pool.reload()} />;
  }
  if (!pool.data) return <Loading label="Loading pool…" />;
  const p = pool.data;
  return (
    <article className="pool-detail" aria-labelledby="pool-detail-title">
      <header>
        <h2 id="pool-detail-title">
          {p.name} {p.archived && <span className="tag">Archived</span>}
        </h2>
        <p className={p.description ? "" : "muted"}>{p.description || "No description."}</p>
      </header>
      <Tabs
        id="pool-detail"
        label="Pool details"
        value={tab}
        onChange={setTab}
        tabs={[
          { key: "overview", label: "Overview" },
          { key: "agents", label: `Agents (${p.agent_count})` },
          { key: "users", label: `Users (${p.user_count})` },
          { key: "jobs", label: "Jobs" },
        ]}
      />
      <TabPanel id="pool-detail" value={tab}>
        {tab === "overview" && <PoolOverviewTab poolId={poolId} version={version} />}
        {tab === "agents" && <PoolAgentsTab poolId={poolId} version={version} onOpenAgent={onOpenAgent} onChanged={bump} />}
        {tab === "users" && <PoolUsersTab poolId={poolId} version={version} onChanged={bump} />}
        {tab === "jobs" && <PoolJobsTab poolId={poolId} version={version} />}
      </TabPanel>
    </article>
  );
}
