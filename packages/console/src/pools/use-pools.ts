/** The pools list: search, status filter, sort, and pushed pool changes patched into the rows. */
import { useSession } from "../auth/session";
import { isNotFound } from "../api/client";
import { useChanges } from "../api/events";
import { usePagedList } from "../api/use-paged-list";
import type { Pool } from "../api/types";
import type { SortState } from "../components/table-parts";
import { useDebouncedSearch } from "../components/use-debounced-search";

export type PoolSort = "name" | "inserted_at";
export type PoolStatusFilter = "active" | "archived" | "all";

export function usePools(search: string, archived: PoolStatusFilter, sort: SortState<PoolSort>) {
  const { api } = useSession();
  const q = useDebouncedSearch(search);
  const query = { limit: 25, q: q || undefined, archived, sort: sort.sort, order: sort.order };
  const list = usePagedList<Pool>((cursor) => api.list<Pool>("/pools", { ...query, cursor }), JSON.stringify(query));

  useChanges(["pool.updated"], (event) => {
    api.get<Pool>(`/pools/${event.id}`).then(
      (pool) => {
        const fits = archived === "all" || (archived === "archived") === pool.archived;
        if (list.items.some((p) => p.id === pool.id)) list.replaceRow(pool.id, fits ? pool : null);
        else if (fits) list.reload();
      },
      (err: unknown) => {
        if (isNotFound(err)) list.replaceRow(event.id, null);
      },
    );
  });
  return list;
}
