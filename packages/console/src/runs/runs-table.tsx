/** The runs table: select boxes for delete, a row click opens the run. */
import type { Job } from "../api/types";
import { RunStatusBadge } from "../components/badge";
import { between, formatDuration, formatTime } from "../components/format";
import { isInteractiveClick } from "../components/table-parts";
import { triggerLabel } from "./runs-filters";

interface Props {
  runs: Job[];
  selected: Set<string>;
  onSelect: (next: Set<string>) => void;
  openId: string | null;
  onOpen: (id: string) => void;
}

export function runDuration(job: Job): number | null {
  if (job.duration_ms !== null) return job.duration_ms;
  if (job.started_at && !job.completed_at) return between(job.started_at, new Date().toISOString());
  return null;
}

export function RunsTable({ runs, selected, onSelect, openId, onOpen }: Props) {
  const all = runs.length > 0 && runs.every((r) => selected.has(r.id));
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    onSelect(next);
  };
  return (
    <table className="table runs-table">
      <thead>
        <tr>
          <th scope="col" className="col-check">
            <input type="checkbox" aria-label="Select all runs on this page" checked={all} onChange={() => onSelect(all ? new Set() : new Set(runs.map((r) => r.id)))} />
          </th>
          <th scope="col">Run</th>
          <th scope="col">Status</th>
          <th scope="col">Agent</th>
          <th scope="col">Pool</th>
          <th scope="col">Trigger</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.id} data-run-id={run.id} className={`clickable${run.id === openId ? " row-open" : ""}`} onClick={(e) => !isInteractiveClick(e) && onOpen(run.id)}>
            <td className="col-check">
              <input type="checkbox" aria-label={`Select run ${run.module}.${run.function} ${run.id}`} checked={selected.has(run.id)} onChange={() => toggle(run.id)} />
            </td>
            <td>
              <button type="button" className="link-btn" onClick={() => onOpen(run.id)} aria-label={`Open run ${run.module}.${run.function} ${run.id}`}>
                {run.module}.{run.function}
              </button>
              <div className="agent-id mono">{run.id}</div>
            </td>
            <td>
              <RunStatusBadge status={run.status} />
            </td>
            <td>{run.agent_name ?? <span className="muted">{run.status === "retrying" ? "Retrying" : run.waiting_reason ? "Waiting" : "—"}</span>}</td>
            <td>{run.pool_name ?? "—"}</td>
            <td>{triggerLabel(run.trigger_source)}</td>
            <td className="nowrap">{formatTime(run.started_at, "Not started")}</td>
            <td className="nowrap">{formatDuration(runDuration(run))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
