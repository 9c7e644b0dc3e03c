/** Runs filters: status, agent, trigger source, pool and a date range. */
import { JOB_STATUSES, RUN_STATUS_LABEL, TRIGGER_SOURCES } from "@outpost/shared";
import { useSession } from "../auth/session";
import { useLoad } from "../api/use-paged-list";
import type { Agent, Pool } from "../api/types";
import { hasRunFilters, NO_RUN_FILTERS, type RunFilters } from "./use-runs";

const TRIGGER_LABEL: Record<string, string> = { manual: "Manual", api: "API", schedule: "Schedule", webhook: "Webhook", event: "Event", copilot: "Copilot" };

export function RunsFilters({ filters, onChange }: { filters: RunFilters; onChange: (next: RunFilters) => void }) {
  const { api } = useSession();
  const agents = useLoad(() => api.list<Agent>("/agents", { archived: "all", limit: 200, sort: "name" }), "agents");
  const pools = useLoad(() => api.list<Pool>("/pools", { archived: "all", limit: 200, sort: "name" }), "pools");
  const set = <K extends keyof RunFilters>(key: K, value: RunFilters[K]) => onChange({ ...filters, [key]: value });
  const active = hasRunFilters(filters);
  return (
    <div className="toolbar" role="search" aria-label="Filter runs">
      <div className="field">
        <label htmlFor="runs-status">Status</label>
        <select id="runs-status" value={filters.status} onChange={(e) => set("status", e.target.value)}>
          <option value="">All statuses</option>
          {JOB_STATUSES.map((s) => (
            <option key={s} value={s}>
              {RUN_STATUS_LABEL[s]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="runs-agent">Agent</label>
        <select id="runs-agent" value={filters.agentId} onChange={(e) => set("agentId", e.target.value)}>
          <option value="">All agents</option>
          {agents.data?.items.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="runs-trigger">Trigger source</label>
        <select id="runs-trigger" value={filters.triggerSource} onChange={(e) => set("triggerSource", e.target.value)}>
          <option value="">All sources</option>
          {TRIGGER_SOURCES.map((t) => (
            <option key={t} value={t}>
              {TRIGGER_LABEL[t] ?? t}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="runs-pool">Pool</label>
        <select id="runs-pool" value={filters.poolId} onChange={(e) => set("poolId", e.target.value)}>
          <option value="">All pools</option>
          {pools.data?.items.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="runs-from">From</label>
        <input id="runs-from" type="datetime-local" value={filters.from} onChange={(e) => set("from", e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="runs-to">To</label>
        <input id="runs-to" type="datetime-local" value={filters.to} onChange={(e) => set("to", e.target.value)} />
      </div>
      {active && (
        <button type="button" className="btn btn-ghost btn-small" onClick={() => onChange(NO_RUN_FILTERS)}>
          Clear filters
        </button>
      )}
    </div>
  );
}

export function triggerLabel(source: string): string {
  return TRIGGER_LABEL[source] ?? source;
}
