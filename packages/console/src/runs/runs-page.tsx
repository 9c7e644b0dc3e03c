/**
 * /runs and /runs/:id: the filtered runs list, "Start run", selection (delete, re-run, cancel several
 * at once) and the selected run's detail.
 */
import { useState } from "react";
import { useLocation, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { ConfirmDialog } from "../components/dialog";
import { plural } from "../components/format";
import { ListStates } from "../components/states";
import { LoadMore, TableWrap } from "../components/table-parts";
import { useToast } from "../components/toast";
import { RunsFilters } from "./runs-filters";
import { RunsTable } from "./runs-table";
import { RunDetail } from "./run-detail";
import { StartRunDialog } from "./start-run-dialog";
import { filtersFromParams, filtersToParams, hasRunFilters, useRuns } from "./use-runs";

export function RunsPage() {
  const { runId } = useParams();
  const navigate = useNavigate();
  const { api } = useSession();
  const notify = useToast();
  const { search } = useLocation();
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [starting, setStarting] = useState(false);
  const list = useRuns(filters);

  /** Re-run or cancel the selected runs with the bulk routes; the list follows the change feed. */
  async function bulk(action: "rerun" | "cancel") {
    setBusy(true);
    const ids = [...selected];
    try {
      if (action === "rerun") {
        const r = await api.send<{ created: { id: string }[]; not_found: string[] }>("POST", "/jobs/rerun", { ids });
        notify("success", `Started ${plural(r.created.length, "re-run")}.`);
      } else {
        const r = await api.send<{ cancelled: string[]; refused: { id: string; message: string }[] }>("POST", "/jobs/cancel", { ids });
        const refused = r.refused.length ? ` ${plural(r.refused.length, "run")} not cancelled: ${r.refused.map((x) => x.message).join("; ")}` : "";
        notify(r.cancelled.length ? "success" : "error", `Cancel requested for ${plural(r.cancelled.length, "run")}.${refused}`);
      }
      setSelected(new Set());
      list.reload();
    } catch (err) {
      notify("error", `Could not ${action === "rerun" ? "re-run" : "cancel"} the runs: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  }

  async function deleteSelected() {
    setBusy(true);
    const ids = [...selected];
    for (const id of ids) list.deleting.add(id);
    try {
      const result = await api.send<{ deleted: string[]; not_found: string[] }>("POST", "/jobs/delete", { ids });
      notify("success", `Deleted ${plural(result.deleted.length, "run")} and their reports.`);
      for (const id of result.deleted) list.replaceRow(id, null);
      setSelected(new Set());
      if (runId && result.deleted.includes(runId)) navigate(`/runs${search}`);
    } catch (err) {
      notify("error", `Could not delete the runs: ${errorText(err)}`);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <main className={`page runs-layout${runId ? " has-detail" : ""}`} aria-labelledby="runs-title">
      <section className="runs-list" aria-label="Runs list">
        <div className="page-head">
          <h1 id="runs-title">Runs</h1>
          <p className="updated muted">{list.updatedAt ? `Updated ${list.updatedAt.toLocaleTimeString()}` : ""}</p>
          <button type="button" className="btn btn-primary" onClick={() => setStarting(true)}>
            Start run
          </button>
        </div>
        <RunsFilters
          filters={filters}
          onChange={(next) => {
            // Selected runs the new filter hides must not be deleted unseen.
            setSelected(new Set());
            setParams(filtersToParams(next), { replace: true });
          }}
        />
        {selected.size > 0 && (
          <div className="bulk-bar" role="region" aria-label="Selected runs">
            <strong>{plural(selected.size, "run")} selected</strong>
            <button type="button" className="btn btn-small" disabled={busy} onClick={() => void bulk("rerun")}>
              Re-run
            </button>
            <button type="button" className="btn btn-small" disabled={busy} onClick={() => void bulk("cancel")}>
              Cancel runs
            </button>
            <button type="button" className="btn btn-danger btn-small" onClick={() => setConfirming(true)}>
              Delete
            </button>
            <button type="button" className="btn btn-ghost btn-small" onClick={() => setSelected(new Set())}>
              Clear selection
            </button>
          </div>
        )}
        <ListStates list={list} loadingLabel="Loading runs…" emptyTitle={hasRunFilters(filters) ? "No runs match these filters." : "No runs yet."}>
          Runs appear here when jobs are sent to agents.
        </ListStates>
        {list.items.length > 0 && (
          <TableWrap label="Runs">
            <RunsTable runs={list.items} selected={selected} onSelect={setSelected} openId={runId ?? null} onOpen={(id) => navigate(`/runs/${id}${search}`)} />
          </TableWrap>
        )}
        <LoadMore hasMore={Boolean(list.nextCursor)} loading={list.loadingMore} onClick={list.loadMore} />
      </section>
      {runId && <RunDetail key={runId} runId={runId} onClose={() => navigate(`/runs${search}`)} />}
      {starting && (
        <StartRunDialog
          onClose={() => setStarting(false)}
          onStarted={(job) => {
            setStarting(false);
            notify("success", `Started run ${job.module}.${job.function}.`);
            navigate(`/runs/${job.id}${search}`);
          }}
        />
      )}
      {confirming && (
        <ConfirmDialog
          title={`Delete ${plural(selected.size, "run")}?`}
          message="The selected runs and their reports are removed from the history. This cannot be undone."
          confirmLabel="Delete"
          danger
          busy={busy}
          onConfirm={() => void deleteSelected()}
          onCancel={() => setConfirming(false)}
        />
      )}
    </main>
  );
}
