/** Add to Pool…: pick an active pool and add every selected agent to it. */
import { useState, type FormEvent } from "react";
import { useSession } from "../auth/session";
import { useLoad } from "../api/use-paged-list";
import type { Pool } from "../api/types";
import { Dialog, DialogFormActions } from "../components/dialog";
import { ErrorState, Loading } from "../components/states";
import { plural } from "../components/format";

interface Props {
  count: number;
  /** The Organization filter, if any: only that org's pools are offered. */
  org?: string;
  onPick: (pool: Pool) => void;
  onClose: () => void;
}

export function AddToPoolDialog({ count, org, onPick, onClose }: Props) {
  const { api } = useSession();
  const pools = useLoad(() => api.list<Pool>("/pools", { archived: "active", sort: "name", limit: 200, org }), `pools:${org ?? ""}`);
  const [poolId, setPoolId] = useState("");
  const [error, setError] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    const pool = pools.data?.items.find((p) => p.id === poolId);
    if (!pool) {
      setError("Choose a pool.");
      return;
    }
    onPick(pool);
  }

  return (
    <Dialog title="Add to Pool" onClose={onClose}>
      {pools.loading && <Loading label="Loading pools…" />}
      {pools.error && <ErrorState message={pools.error} onRetry={() => pools.reload()} />}
      {pools.data && pools.data.items.length === 0 && <p>There are no active pools yet. Use Create New Pool instead.</p>}
      {pools.data && pools.data.items.length > 0 && (
        <form onSubmit={submit} noValidate>
          <p>Add {plural(count, "selected agent")} to:</p>
          <label htmlFor="add-to-pool-select">Pool</label>
          <select id="add-to-pool-select" value={poolId} onChange={(e) => setPoolId(e.target.value)} autoFocus>
            <option value="">Choose a pool…</option>
            {pools.data.items.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({plural(p.agent_count, "agent")})
              </option>
            ))}
          </select>
          <DialogFormActions error={error} submitLabel="Add to pool" onCancel={onClose} />
        </form>
      )}
    </Dialog>
  );
}
