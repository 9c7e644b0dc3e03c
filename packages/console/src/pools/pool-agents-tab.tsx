/** The pool's agents: a click opens the same bottom agent panel as All Agents; each can be removed. */
import { useSession } from "../auth/session";
import { usePagedList } from "../api/use-paged-list";
import type { Agent } from "../api/types";
import { AgentStatusBadge } from "../components/badge";
import { formatTime } from "../components/format";
import { ListStates } from "../components/states";
import { ActionsHeader, isInteractiveClick, LoadMore } from "../components/table-parts";
import { RemoveFromPoolCell } from "./remove-from-pool";

interface Props {
  poolId: string;
  version: number;
  onOpenAgent: (id: string) => void;
  onChanged: () => void;
}

export function PoolAgentsTab({ poolId, version, onOpenAgent, onChanged }: Props) {
  const { api } = useSession();
  const list = usePagedList<Agent>((cursor) => api.list<Agent>(`/pools/${poolId}/agents`, { limit: 50, cursor, archived: "all" }), `${poolId}:${version}`);

  if (list.error || list.items.length === 0) {
    return (
      <ListStates list={list} loadingLabel="Loading agents…" emptyTitle="No agents in this pool.">
        Select agents on All Agents and use Add to Pool….
      </ListStates>
    );
  }
  return (
    <>
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Status</th>
            <th scope="col">Last updated</th>
            <ActionsHeader />
          </tr>
        </thead>
        <tbody>
          {list.items.map((agent) => (
            <tr key={agent.id} className="clickable" onClick={(e) => !isInteractiveClick(e) && onOpenAgent(agent.id)}>
              <td>
                <button type="button" className="link-btn" onClick={() => onOpenAgent(agent.id)} aria-label={`Open details of ${agent.name}`}>
                  {agent.name}
                </button>
              </td>
              <td>
                <AgentStatusBadge status={agent.status} />
              </td>
              <td className="nowrap">{formatTime(agent.status_updated_at)}</td>
              <RemoveFromPoolCell poolId={poolId} kind="agents" member={agent} onRemoved={onChanged} />
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore hasMore={Boolean(list.nextCursor)} loading={list.loadingMore} onClick={list.loadMore} />
    </>
  );
}
