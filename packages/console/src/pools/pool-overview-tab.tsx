/** Overview: counts of agents, users and unfinished jobs, and module coverage across the pool's agents. */
import { useSession } from "../auth/session";
import { useLoad } from "../api/use-paged-list";
import type { PoolOverview } from "../api/types";
import { Empty, ErrorState, Loading } from "../components/states";

export function PoolOverviewTab({ poolId, version }: { poolId: string; version: number }) {
  const { api } = useSession();
  const state = useLoad(() => api.get<PoolOverview>(`/pools/${poolId}/overview`), `${poolId}:${version}`);
  if (state.error) return <ErrorState message={state.error} onRetry={() => state.reload()} />;
  if (!state.data) return <Loading label="Loading overview…" />;
  const o = state.data;
  return (
    <div className="overview">
      <dl className="stats">
        <div className="stat">
          <dt>Agents</dt>
          <dd data-stat="agents">{o.agents}</dd>
        </div>
        <div className="stat">
          <dt>Users</dt>
          <dd data-stat="users">{o.users}</dd>
        </div>
        <div className="stat">
          <dt>Unfinished jobs</dt>
          <dd data-stat="unfinished_jobs">{o.unfinished_jobs}</dd>
        </div>
      </dl>
      <h3>Module coverage</h3>
      {o.module_coverage.length === 0 ? (
        <Empty title="No modules on this pool's agents yet." />
      ) : (
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">Module</th>
              <th scope="col">Version</th>
              <th scope="col" className="num">Agents providing it</th>
              <th scope="col" className="num">Functions</th>
            </tr>
          </thead>
          <tbody>
            {o.module_coverage.map((m) => (
              <tr key={`${m.module}@${m.version}`}>
                <td>{m.module}</td>
                <td className="mono">{m.version}</td>
                <td className="num">
                  {m.agents} of {o.agents}
                </td>
                <td className="num">{m.functions}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
