/**
 * The All Agents list: filters -> GET /agents, pushed agent changes patched into the rows, and,
 * while a search is active, further pages fetched by themselves so matches beyond page one show.
 */
import { useCallback, useEffect } from "react";
import { useSession } from "../auth/session";
import { isNotFound } from "../api/client";
import { useChanges } from "../api/events";
import { usePagedList } from "../api/use-paged-list";
import type { Agent } from "../api/types";
import type { SortState } from "../components/table-parts";
import { useDebouncedSearch } from "../components/use-debounced-search";

export type AgentSort = "name" | "status" | "status_updated_at" | "version" | "host_os" | "last_restarted_at";
export type SearchBy = "name" | "module";
export type ArchiveFilter = "active" | "archived" | "all";
export type PoolFilter = "any" | "in" | "none";

export interface AgentFilters {
  searchBy: SearchBy;
  q: string;
  archived: ArchiveFilter;
  pool: PoolFilter;
  org: string;
  /** "" for any, else one autonomy level. */
  autonomy: string;
  /** "" for any, "none", or a container profile id. */
  containerProfile: string;
  /** Labels the agent must carry: `key=value` or `key`, comma separated ("" for any). */
  label: string;
}

export const PAGE_SIZE = 50;
/** Auto-loading stops here so a broad search cannot pull an unbounded list into the tab. */
const AUTO_LOAD_LIMIT = 2000;

function matches(agent: Agent, filters: AgentFilters): boolean {
  if (filters.archived === "active" && agent.archived) return false;
  if (filters.archived === "archived" && !agent.archived) return false;
  if (filters.pool === "in" && agent.pools.length === 0) return false;
  if (filters.pool === "none" && agent.pools.length > 0) return false;
  if (filters.autonomy && agent.autonomy_level !== filters.autonomy) return false;
  if (filters.containerProfile && (agent.container_profile_id ?? "none") !== filters.containerProfile) return false;
  for (const term of filters.label.split(",").map((t) => t.trim()).filter(Boolean)) {
    const i = term.indexOf("=");
    const key = i < 0 ? term : term.slice(0, i);
    if (!Object.hasOwn(agent.labels, key) || (i >= 0 && agent.labels[key] !== term.slice(i + 1))) return false;
  }
  return true;
}

export function useAgents(filters: AgentFilters, sort: SortState<AgentSort>) {
  const { api } = useSession();
  const q = useDebouncedSearch(filters.q);
  const label = useDebouncedSearch(filters.label);

  const query = {
    limit: PAGE_SIZE,
    sort: sort.sort,
    order: sort.order,
    q: q || undefined,
    search_by: q ? filters.searchBy : undefined,
    archived: filters.archived,
    pool: filters.pool,
    org: filters.org || undefined,
    autonomy_level: filters.autonomy || undefined,
    container_profile: filters.containerProfile || undefined,
    label: label.trim() || undefined,
  };
  const list = usePagedList<Agent>((cursor) => api.list<Agent>("/agents", { ...query, cursor }), JSON.stringify(query));

  const { nextCursor, loading, loadingMore, error, items, loadMore } = list;
  useEffect(() => {
    if (q && nextCursor && !loading && !loadingMore && !error && items.length < AUTO_LOAD_LIMIT) loadMore();
  }, [q, nextCursor, loading, loadingMore, error, items.length, loadMore]);

  const { replaceRow, reload } = list;
  const refreshAgent = useCallback(
    async (id: string) => {
      try {
        const agent = await api.get<Agent>(`/agents/${encodeURIComponent(id)}`);
        if (!items.some((a) => a.id === id)) {
          if (matches(agent, filters)) reload();
          return;
        }
        replaceRow(id, matches(agent, filters) ? agent : null);
      } catch (err) {
        if (isNotFound(err)) replaceRow(id, null);
      }
    },
    [api, items, filters, replaceRow, reload],
  );
  useChanges(["agent.updated"], (event) => void refreshAgent(event.id));

  return { ...list, searching: Boolean(q), refreshAgent };
}
