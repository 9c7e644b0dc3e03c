/** The runs list: filters -> GET /jobs, pushed job changes refetch just the affected row. */
import { useRef } from "react";
import { useSession } from "../auth/session";
import { isNotFound } from "../api/client";
import { useChanges } from "../api/events";
import { usePagedList } from "../api/use-paged-list";
import type { Job } from "../api/types";
import { localInputToIso } from "../components/format";

export interface RunFilters {
  status: string;
  agentId: string;
  triggerSource: string;
  poolId: string;
  from: string;
  to: string;
}

export const NO_RUN_FILTERS: RunFilters = { status: "", agentId: "", triggerSource: "", poolId: "", from: "", to: "" };

/** True when any filter is set, i.e. the list may be hiding runs. */
export function hasRunFilters(filters: RunFilters): boolean {
  return JSON.stringify(filters) !== JSON.stringify(NO_RUN_FILTERS);
}

/** Filters live in the URL (?status=&agent=&trigger=&pool=&from=&to=) so a filtered view is a link. */
const PARAM: Record<keyof RunFilters, string> = { status: "status", agentId: "agent", triggerSource: "trigger", poolId: "pool", from: "from", to: "to" };

export function filtersFromParams(params: URLSearchParams): RunFilters {
  const out = { ...NO_RUN_FILTERS };
  for (const key of Object.keys(PARAM) as (keyof RunFilters)[]) out[key] = params.get(PARAM[key]) ?? "";
  return out;
}

export function filtersToParams(filters: RunFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of Object.keys(PARAM) as (keyof RunFilters)[]) if (filters[key]) params.set(PARAM[key], filters[key]);
  return params;
}

export function useRuns(filters: RunFilters) {
  const { api } = useSession();
  const query = {
    limit: 50,
    sort: "inserted_at",
    order: "desc",
    status: filters.status || undefined,
    agent_id: filters.agentId || undefined,
    trigger_source: filters.triggerSource || undefined,
    pool_id: filters.poolId || undefined,
    from: localInputToIso(filters.from),
    to: localInputToIso(filters.to),
  };
  const list = usePagedList<Job>((cursor) => api.list<Job>("/jobs", { ...query, cursor }), JSON.stringify(query));
  /** Runs this tab is deleting: their change events are expected and need no refetch. */
  const deleting = useRef(new Set<string>());

  useChanges(["job.updated"], (event) => {
    if (deleting.current.has(event.id)) return;
    if (!list.items.some((j) => j.id === event.id)) {
      // A new run (or one entering the filter): only the first page can have changed.
      if (!list.loading) list.reload();
      return;
    }
    api.get<Job>(`/jobs/${event.id}`).then(
      (job) => {
        const statuses = filters.status ? filters.status.split(",") : null;
        list.replaceRow(job.id, statuses && !statuses.includes(job.status) ? null : job);
      },
      (err: unknown) => {
        if (isNotFound(err)) list.replaceRow(event.id, null);
      },
    );
  });
  return { ...list, deleting: deleting.current };
}
