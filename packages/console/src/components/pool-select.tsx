/** A <select> of the org's pools (first 100 by name), with an empty choice labelled `emptyLabel`. */
import { useSession } from "../auth/session";
import { useLoad } from "../api/use-paged-list";
import type { Pool } from "../api/types";

export function PoolSelect({ id, value, emptyLabel, onChange }: { id: string; value: string; emptyLabel: string; onChange: (poolId: string) => void }) {
  const { api } = useSession();
  const pools = useLoad(() => api.list<Pool>("/pools", { limit: 100, sort: "name" }), "pools");
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{emptyLabel}</option>
      {pools.data?.items.map((p) => (
        <option key={p.id} value={p.id}>
          {p.name}
        </option>
      ))}
    </select>
  );
}
