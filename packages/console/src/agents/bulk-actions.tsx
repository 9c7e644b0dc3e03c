/**
 * Actions on the selected agents: Create New Pool (create, then add them with progress and
 * toasts), Add to Pool…, Clear selection.
 */
import { useState } from "react";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import type { Pool } from "../api/types";
import { plural } from "../components/format";
import { useToast } from "../components/toast";
import { PoolDialog } from "../pools/pool-dialog";
import { addAgentsToPool } from "../pools/add-agents";
import { AddToPoolDialog } from "./add-to-pool-dialog";

interface Props {
  selected: string[];
  /** The Organization filter: a pool created here belongs to it (else to the token's org). */
  org: string;
  onClear: () => void;
  onDone: () => void;
}

export function BulkActions({ selected, org, onClear, onDone }: Props) {
  const { api } = useSession();
  const notify = useToast();
  const [dialog, setDialog] = useState<"create" | "add" | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number; pool: string } | null>(null);

  async function addTo(pool: Pool, created: boolean) {
    setDialog(null);
    const ids = [...selected];
    try {
      const result = await addAgentsToPool(api, pool.id, ids, (done, total) => setProgress({ done, total, pool: pool.name }));
      const already = result.already ? ` (${plural(result.already, "was", "were")} already in it)` : "";
      notify("success", `Added ${plural(result.added, "agent")} to ${created ? "new pool " : ""}“${pool.name}”${already}.`);
      onClear();
    } catch (err) {
      notify("error", `Could not add the agents to “${pool.name}”: ${errorText(err)}`);
    } finally {
      setProgress(null);
      onDone();
    }
  }

  return (
    <div className="bulk-bar" role="region" aria-label="Selected agents">
      <strong>{plural(selected.length, "agent")} selected</strong>
      {progress ? (
        <span className="progress-line">
          <label htmlFor="bulk-progress">
            Adding to “{progress.pool}”: {progress.done} of {progress.total}
          </label>
          <progress id="bulk-progress" value={progress.done} max={progress.total} />
        </span>
      ) : (
        <>
          <button type="button" className="btn btn-primary btn-small" onClick={() => setDialog("create")}>
            Create New Pool
          </button>
          <button type="button" className="btn btn-small" onClick={() => setDialog("add")}>
            Add to Pool…
          </button>
          <button type="button" className="btn btn-small btn-ghost" onClick={onClear}>
            Clear selection
          </button>
        </>
      )}
      {dialog === "create" && (
        <PoolDialog
          org={org || undefined}
          onClose={() => setDialog(null)}
          onSaved={(pool) => {
            notify("success", `Pool “${pool.name}” created.`);
            void addTo(pool, true);
          }}
        />
      )}
      {dialog === "add" && <AddToPoolDialog count={selected.length} org={org || undefined} onClose={() => setDialog(null)} onPick={(pool) => void addTo(pool, false)} />}
    </div>
  );
}
