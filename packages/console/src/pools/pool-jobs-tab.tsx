/** Jobs sent to the pool, newest first; each links to its run on /runs. */
import { Link } from "react-router-dom";
import { useSession } from "../auth/session";
import { usePagedList } from "../api/use-paged-list";
import type { Job } from "../api/types";
import { RunStatusBadge } from "../components/badge";
import { formatTime } from "../components/format";
import { ListStates } from "../components/states";
import { LoadMore } from "../components/table-parts";

export function PoolJobsTab({ poolId, version }: { poolId: string; version: number }) {
  const { api } = useSession();
  const list = usePagedList<Job>((cursor) => api.list<Job>(`/pools/${poolId}/jobs`, { limit: 25, cursor, order: "desc" }), `${poolId}:${version}`);
  if (list.error || list.items.length === 0) return <ListStates list={list} loadingLabel="Loading jobs…" emptyTitle="No jobs have targeted this pool." />;
  return (
    <>
      <p>
        <Link to={`/runs?pool=${encodeURIComponent(poolId)}`}>Open these runs in Runs, with filters</Link>
      </p>
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Status</th>
            <th scope="col">Agent</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {list.items.map((job) => (
            <tr key={job.id}>
              <td>
                <Link to={`/runs/${job.id}`}>
                  {job.module}.{job.function}
                </Link>
              </td>
              <td>
                <RunStatusBadge status={job.status} />
              </td>
              <td>{job.agent_name ?? "—"}</td>
              <td className="nowrap">{formatTime(job.inserted_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <LoadMore hasMore={Boolean(list.nextCursor)} loading={list.loadingMore} onClick={list.loadMore} />
    </>
  );
}
