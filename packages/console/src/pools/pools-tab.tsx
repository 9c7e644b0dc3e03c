/** Agent Pools: the pools list on the left, the selected pool's detail on the right (/agents/pools/:id). */
import { useLocation, useNavigate } from "react-router-dom";
import { PoolsList } from "./pools-list";
import { PoolDetail } from "./pool-detail";
import { Empty } from "../components/states";

export function PoolsTab({ onOpenAgent }: { onOpenAgent: (id: string) => void }) {
  const location = useLocation();
  const navigate = useNavigate();
  const selectedId = decodeURIComponent(location.pathname.split("/")[3] ?? "") || null;
  const select = (id: string | null) => navigate(id ? `/agents/pools/${encodeURIComponent(id)}` : "/agents/pools");
  return (
    <section className={`pools-layout${selectedId ? " has-selection" : ""}`} aria-label="Agent Pools">
      <PoolsList selectedId={selectedId} onSelect={select} />
      <div className="pool-detail-pane">
        {selectedId ? (
          <PoolDetail key={selectedId} poolId={selectedId} onOpenAgent={onOpenAgent} />
        ) : (
          <Empty title="Select a pool">Choose a pool on the left to see its agents, users, jobs and module coverage.</Empty>
        )}
      </div>
    </section>
  );
}
