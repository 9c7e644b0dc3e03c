/**
 * The fleet at a glance: agents by status, jobs per minute by outcome over 24 h, queue wait
 * p50/p95, busiest pools, agents on an older version, recent failures. One read of
 * GET /api/v1/overview, redone (at most every 2 s) when the change feed reports agents or jobs.
 */
import { useMemo, useRef } from "react";
import { Link } from "react-router-dom";
import type { Overview } from "@outpost/shared";
import { useSession } from "../auth/session";
import { useChanges } from "../api/events";
import { useLoad } from "../api/use-paged-list";
import { formatDuration, formatTime } from "../components/format";
import { ErrorState, Loading } from "../components/states";
import { Chart, type Series } from "./chart";

const OUTCOME_COLORS = { completed: "#16a34a", failed: "#dc2626", cancelled: "#9ca3af" } as const;
const RELOAD_EVERY_MS = 2000;

export function OverviewPage() {
  const { api } = useSession();
  const data = useLoad(() => api.get<Overview>("/overview"), "overview");
  const last = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useChanges(["agent.updated", "job.updated"], () => {
    if (pending.current) return;
    const wait = Math.max(0, last.current + RELOAD_EVERY_MS - Date.now());
    pending.current = setTimeout(() => {
      pending.current = null;
      last.current = Date.now();
      data.reload(true);
    }, wait);
  });
  const o = data.data;
  return (
    <main className="page overview" aria-label="Overview">
      <h1 className="page-title">Overview</h1>
      {data.loading && !o && <Loading label="Loading the overview…" />}
      {data.error && <ErrorState message={data.error} onRetry={() => data.reload()} />}
      {o && <OverviewBody o={o} />}
    </main>
  );
}

function OverviewBody({ o }: { o: Overview }) {
  const statuses = Object.entries(o.agents_by_status).sort((a, b) => b[1] - a[1]);
  const agentChart = useMemo(
    () => ({ x: statuses.map((_, i) => i), labels: statuses.map(([s]) => s), series: [{ label: "Agents", values: statuses.map(([, n]) => n), color: "#2563eb" }] as Series[] }),
    [JSON.stringify(statuses)],
  );
  const jobsChart = useMemo(() => {
    const rows = o.jobs_per_minute;
    const end = Date.parse(o.generated_at) / 1000;
    return {
      range: [end - 24 * 3600, end] as [number, number],
      x: rows.map((r) => Date.parse(r.minute) / 1000),
      series: (["completed", "failed", "cancelled"] as const).map((k) => ({ label: k, values: rows.map((r) => r[k]), color: OUTCOME_COLORS[k] })) as Series[],
    };
  }, [JSON.stringify(o.jobs_per_minute), o.generated_at.slice(0, 16)]);
  const total = statuses.reduce((n, [, c]) => n + c, 0);
  return (
    <div className="overview-grid">
      <section className="card" aria-labelledby="ov-agents">
        <h2 id="ov-agents">Agents by status</h2>
        <p className="muted">{total} active agents</p>
        {statuses.length ? <Chart title="Agents by status" x={agentChart.x} xLabels={agentChart.labels} series={agentChart.series} time={false} bars /> : <p className="muted">No agents yet.</p>}
      </section>
      <section className="card" aria-labelledby="ov-jobs">
        <h2 id="ov-jobs">Jobs per minute, last 24 h</h2>
        {jobsChart.x.length ? <Chart title="Jobs per minute by outcome" x={jobsChart.x} series={jobsChart.series} xRange={jobsChart.range} bars /> : <p className="muted">No job ended in the last 24 hours.</p>}
      </section>
      <section className="card" aria-labelledby="ov-wait">
        <h2 id="ov-wait">Queue wait, last 24 h</h2>
        <dl className="stats">
          <div>
            <dt>p50</dt>
            <dd data-testid="wait-p50">{o.queue_wait.p50_s === null ? "—" : formatDuration(o.queue_wait.p50_s * 1000)}</dd>
          </div>
          <div>
            <dt>p95</dt>
            <dd data-testid="wait-p95">{o.queue_wait.p95_s === null ? "—" : formatDuration(o.queue_wait.p95_s * 1000)}</dd>
          </div>
          <div>
            <dt>Jobs claimed</dt>
            <dd>{o.queue_wait.count}</dd>
          </div>
        </dl>
      </section>
      <section className="card" aria-labelledby="ov-pools">
        <h2 id="ov-pools">Busiest pools</h2>
        {o.busiest_pools.length ? (
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">Pool</th>
                <th scope="col">Jobs (24 h)</th>
                <th scope="col">Pending</th>
                <th scope="col">Running</th>
              </tr>
            </thead>
            <tbody>
              {o.busiest_pools.map((p) => (
                <tr key={p.pool_id}>
                  <td>
                    <Link to={`/agents/pools/${encodeURIComponent(p.pool_id)}`}>{p.name}</Link>
                  </td>
                  <td>{p.jobs_24h}</td>
                  <td>{p.pending}</td>
                  <td>{p.running}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No pool ran a job in the last 24 hours.</p>
        )}
      </section>
      <section className="card" aria-labelledby="ov-older">
        <h2 id="ov-older">Agents on an older version</h2>
        {o.older_agents.length ? (
          <ul className="plain-list">
            {o.older_agents.map((a) => (
              <li key={a.id}>
                <Link to={`/agents/${encodeURIComponent(a.id)}`}>{a.name}</Link> <span className="mono muted">{a.version}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">Every agent runs {o.server_version} or newer.</p>
        )}
      </section>
      <section className="card card-wide" aria-labelledby="ov-failures">
        <h2 id="ov-failures">Recent failures</h2>
        {o.recent_failures.length ? (
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Agent</th>
                <th scope="col">Reason</th>
                <th scope="col">Ended</th>
              </tr>
            </thead>
            <tbody>
              {o.recent_failures.map((f) => (
                <tr key={f.id}>
                  <td>
                    <Link to={`/runs/${encodeURIComponent(f.id)}`}>{`${f.module}.${f.function}`}</Link>
                  </td>
                  <td>{f.agent_name ?? "—"}</td>
                  <td title={f.error_message ?? ""}>{f.error_reason ?? "—"}</td>
                  <td className="nowrap">{formatTime(f.completed_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No failed runs.</p>
        )}
      </section>
    </div>
  );
}
