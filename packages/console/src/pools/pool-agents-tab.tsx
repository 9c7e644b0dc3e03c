/** The pool's agents: a click opens the same bottom agent panel as All Agents; each can be removed. */
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { usePagedList } from "../api/use-paged-list";
import type { Agent } from "../api/types";
import { AgentStatusBadge } from "../components/badge";
import { formatTime } from "../components/format";
import { Empty, ErrorState, Loading } from "../components/states";
import { isInteractiveClick, LoadMore } from "../components/table-parts";
import { useToast } from "../components/toast";

interface Props {
  poolId: string;
  version: number;
  onOpenAgent: (id: string) => void;
  onChanged: () => void;
}

export function PoolAgentsTab({ poolId, version, onOpenAgent, onChanged }: Props) {
  const { api } = useSession();
  const notify = useToast();
  const list = usePagedList<Agent>((cursor) => api.list<Agent>(`/pools/${poolId}/agents`, { limit: 50, cursor, archived: "all" }), `${poolId}:${version}`);

  async function remove(agent: Agent) {
    try {
      await api.send("DELETE", `/pools/${poolId}/agents/${agent.id}`);
      notify("success", `${agent.name} removed from the pool.`);
      onChanged();
    } catch (err) {
      notify("error", `Could not remove ${agent.name}: ${errorText(err)}`);
    }
  }

  if (list.error) return <ErrorState message={list.error} onRetry={list.reload} />;
  if (list.loading && list.items.length === 0) return <Loading label="Loading agents…" />;
  if (list.items.length === 0) return <Empty title="No agents in this pool.">Select agents on All Agents and use Add to Pool….</Empty>;
  return (
    <>
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Status</th>
            <th scope="col">Last updated</th>
            <th scope="col" className="col-actions">
              <span className="sr-only">Actions</span>
            </th>
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
              <td className="col-actions">
                <button type="button" className="btn btn-small btn-ghost" onClick={() => void remove(agent)} aria-label={`Remove ${agent.name} from pool`}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore hasMore={Boolean(list.nextCursor)} loading={list.loadingMore} onClick={list.loadMore} />
    </>
  );
}
