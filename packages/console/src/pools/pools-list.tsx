/** The pools list: Search pools…, status filter, New Pool, sortable Pool Name and Created, row menu. */
import { useState } from "react";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import type { Pool } from "../api/types";
import { ConfirmDialog } from "../components/dialog";
import { formatTime } from "../components/format";
import { RowMenu } from "../components/menu";
import { ListStates } from "../components/states";
import { ActionsHeader, isInteractiveClick, LoadMore, SortHeader, TableWrap, type SortState } from "../components/table-parts";
import { useToast } from "../components/toast";
import { PoolDialog } from "./pool-dialog";
import { usePools, type PoolSort, type PoolStatusFilter } from "./use-pools";

export function PoolsList({ selectedId, onSelect }: { selectedId: string | null; onSelect: (id: string | null) => void }) {
  const { api } = useSession();
  const notify = useToast();
  const [search, setSearch] = useState("");
  const [archived, setArchived] = useState<PoolStatusFilter>("active");
  const [sort, setSort] = useState<SortState<PoolSort>>({ sort: "name", order: "asc" });
  const [dialog, setDialog] = useState<{ kind: "create" } | { kind: "edit"; pool: Pool } | { kind: "archive"; pool: Pool } | null>(null);
  const [busy, setBusy] = useState(false);
  const list = usePools(search, archived, sort);

  async function toggleArchive(pool: Pool) {
    setBusy(true);
    try {
      await api.send<Pool>("POST", `/pools/${pool.id}/${pool.archived ? "restore" : "archive"}`);
      notify("success", `Pool “${pool.name}” ${pool.archived ? "restored" : "archived"}.`);
      list.reload();
    } catch (err) {
      notify("error", `Could not ${pool.archived ? "restore" : "archive"} “${pool.name}”: ${errorText(err)}`);
    } finally {
      setBusy(false);
      setDialog(null);
    }
  }

  return (
    <div className="pools-list">
      <div className="toolbar" role="search" aria-label="Filter pools">
        <div className="field field-grow">
          <label htmlFor="pools-search" className="sr-only">
            Search pools
          </label>
          <input id="pools-search" type="search" placeholder="Search pools…" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="pools-status" className="sr-only">
            Pool status
          </label>
          <select id="pools-status" value={archived} onChange={(e) => setArchived(e.target.value as PoolStatusFilter)}>
            <option value="active">Active</option>
            <option value="archived">Archived</option>
            <option value="all">All</option>
          </select>
        </div>
        <button type="button" className="btn btn-primary" onClick={() => setDialog({ kind: "create" })}>
          New Pool
        </button>
      </div>
      <ListStates list={list} loadingLabel="Loading pools…" emptyTitle={search || archived !== "active" ? "No pools match." : "No pools yet."}>
        Use New Pool to group agents.
      </ListStates>
      {list.items.length > 0 && (
        <TableWrap label="Pools">
          <table className="table pools-table">
            <thead>
              <tr>
                <SortHeader label="Pool Name" column="name" state={sort} onSort={setSort} />
                <th scope="col" className="num">Agents</th>
                <th scope="col" className="num">Users</th>
                <SortHeader label="Created" column="inserted_at" state={sort} onSort={setSort} />
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {list.items.map((pool) => (
                <tr
                  key={pool.id}
                  className={`clickable${pool.id === selectedId ? " row-open" : ""}${pool.archived ? " row-archived" : ""}`}
                  aria-current={pool.id === selectedId ? "true" : undefined}
                  onClick={(e) => !isInteractiveClick(e) && onSelect(pool.id)}
                >
                  <td>
                    <button type="button" className="link-btn" onClick={() => onSelect(pool.id)}>
                      {pool.name}
                    </button>
                    {pool.archived && <span className="tag">Archived</span>}
                  </td>
                  <td className="num">{pool.agent_count}</td>
                  <td className="num">{pool.user_count}</td>
                  <td className="nowrap">{formatTime(pool.inserted_at)}</td>
                  <td className="col-actions">
                    <RowMenu
                      label={`Actions for pool ${pool.name}`}
                      items={[
                        { label: "Edit", onSelect: () => setDialog({ kind: "edit", pool }) },
                        pool.archived
                          ? { label: "Restore", onSelect: () => setDialog({ kind: "archive", pool }) }
                          : { label: "Archive", onSelect: () => setDialog({ kind: "archive", pool }), danger: true },
                      ]}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <LoadMore hasMore={Boolean(list.nextCursor)} loading={list.loadingMore} onClick={list.loadMore} />
      {dialog?.kind === "create" && (
        <PoolDialog
          onClose={() => setDialog(null)}
          onSaved={(pool) => {
            notify("success", `Pool “${pool.name}” created.`);
            setDialog(null);
            list.reload();
            onSelect(pool.id);
          }}
        />
      )}
      {dialog?.kind === "edit" && (
        <PoolDialog
          pool={dialog.pool}
          onClose={() => setDialog(null)}
          onSaved={(pool) => {
            notify("success", `Pool “${pool.name}” saved.`);
            setDialog(null);
            list.replaceRow(pool.id, pool);
          }}
        />
      )}
      {dialog?.kind === "archive" && (
        <ConfirmDialog
          title={dialog.pool.archived ? "Restore pool?" : "Archive pool?"}
          message={dialog.pool.archived ? `“${dialog.pool.name}” will be active again.` : `“${dialog.pool.name}” will be archived. Its agents stay registered.`}
          confirmLabel={dialog.pool.archived ? "Restore" : "Archive"}
          danger={!dialog.pool.archived}
          busy={busy}
          onConfirm={() => void toggleArchive(dialog.pool)}
          onCancel={() => setDialog(null)}
        />
      )}
    </div>
  );
}
