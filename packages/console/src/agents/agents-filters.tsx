/** The All Agents filter bar; the search field's placeholder follows "Search by". */
import { AUTONOMY_LEVELS } from "@outpost/shared";
import { useSession } from "../auth/session";
import { AUTONOMY_LABEL, useContainerProfiles } from "./agent-profile-tab";
import { formatClock } from "../components/format";
import type { AgentFilters, ArchiveFilter, PoolFilter, SearchBy } from "./use-agents";

const PLACEHOLDER: Record<SearchBy, string> = {
  name: "Search agents by name…",
  module: "Search by module name or version…",
};

interface Props {
  filters: AgentFilters;
  onChange: (next: AgentFilters) => void;
  updatedAt: Date | null;
  refreshing: boolean;
}

export function AgentsFilters({ filters, onChange, updatedAt, refreshing }: Props) {
  const { me } = useSession();
  const profiles = useContainerProfiles(filters.org || undefined);
  const set = <K extends keyof AgentFilters>(key: K, value: AgentFilters[K]) => onChange({ ...filters, [key]: value });
  return (
    <div className="toolbar" role="search" aria-label="Filter agents">
      <div className="field">
        <label htmlFor="agents-search-by">Search by</label>
        <select id="agents-search-by" value={filters.searchBy} onChange={(e) => set("searchBy", e.target.value as SearchBy)}>
          <option value="name">Name</option>
          <option value="module">Module</option>
        </select>
      </div>
      <div className="field field-grow">
        <label htmlFor="agents-search">Search</label>
        <input id="agents-search" type="search" value={filters.q} placeholder={PLACEHOLDER[filters.searchBy]} onChange={(e) => set("q", e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="agents-archived">Archive status</label>
        <select id="agents-archived" value={filters.archived} onChange={(e) => set("archived", e.target.value as ArchiveFilter)}>
          <option value="active">Active</option>
          <option value="archived">Archived</option>
          <option value="all">All</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="agents-pool">Pool membership</label>
        <select id="agents-pool" value={filters.pool} onChange={(e) => set("pool", e.target.value as PoolFilter)}>
          <option value="any">Any</option>
          <option value="in">In a pool</option>
          <option value="none">Not in a pool</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="agents-autonomy">Autonomy level</label>
        <select id="agents-autonomy" value={filters.autonomy} onChange={(e) => set("autonomy", e.target.value)}>
          <option value="">Any</option>
          {AUTONOMY_LEVELS.map((l) => (
            <option key={l} value={l}>
              {AUTONOMY_LABEL[l]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="agents-label">Labels</label>
        <input id="agents-label" type="search" value={filters.label} placeholder="gpu=true,zone" onChange={(e) => set("label", e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="agents-container-profile">Container profile</label>
        <select id="agents-container-profile" value={filters.containerProfile} onChange={(e) => set("containerProfile", e.target.value)}>
          <option value="">Any</option>
          <option value="none">None</option>
          {(profiles.data?.items ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      {me.orgs.length > 1 && (
        <div className="field">
          <label htmlFor="agents-org">Organization</label>
          <select id="agents-org" value={filters.org} onChange={(e) => set("org", e.target.value)}>
            <option value="">All organizations</option>
            {me.orgs.map((m) => (
              <option key={m.org.id} value={m.org.slug}>
                {m.org.name}
              </option>
            ))}
          </select>
        </div>
      )}
      <p className="updated muted" aria-live="polite">
        {refreshing ? "Refreshing…" : updatedAt ? `Updated ${formatClock(updatedAt)}` : ""}
      </p>
    </div>
  );
}
