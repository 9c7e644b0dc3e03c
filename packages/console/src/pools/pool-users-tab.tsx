/**
 * The pool's users. Adding takes a user ID: the API has no user directory to pick from
 * (GET /api/v1/users does not exist), so the form asks for the ID an admin was given.
 */
import { useState, type FormEvent } from "react";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { usePagedList } from "../api/use-paged-list";
import type { MembershipResult, PoolUser } from "../api/types";
import { formatTime } from "../components/format";
import { ListStates } from "../components/states";
import { ActionsHeader, LoadMore } from "../components/table-parts";
import { useToast } from "../components/toast";
import { RemoveFromPoolCell } from "./remove-from-pool";

export function PoolUsersTab({ poolId, version, onChanged }: { poolId: string; version: number; onChanged: () => void }) {
  const { api, me } = useSession();
  const notify = useToast();
  const list = usePagedList<PoolUser>((cursor) => api.list<PoolUser>(`/pools/${poolId}/users`, { limit: 50, cursor }), `${poolId}:${version}`);
  const [userId, setUserId] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function add(event: FormEvent) {
    event.preventDefault();
    const id = userId.trim();
    if (!id) {
      setError("Enter a user ID.");
      return;
    }
    setError(null);
    try {
      const result = await api.send<MembershipResult>("POST", `/pools/${poolId}/users`, { user_ids: [id] });
      notify("success", result.added.length ? "User added to the pool." : "That user is already in the pool.");
      setUserId("");
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <>
      <form className="inline-form" onSubmit={add} noValidate>
        <label htmlFor="pool-add-user">Add user by ID</label>
        <input id="pool-add-user" className="mono" value={userId} placeholder={me.user.id} onChange={(e) => setUserId(e.target.value)} />
        <button type="submit" className="btn btn-small">
          Add user
        </button>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </form>
      <ListStates list={list} loadingLabel="Loading users…" emptyTitle="No users assigned to this pool." />
      {list.items.length > 0 && (
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Added</th>
              <ActionsHeader />
            </tr>
          </thead>
          <tbody>
            {list.items.map((user) => (
              <tr key={user.id}>
                <td>
                  {user.name}
                  <div className="agent-id mono">{user.id}</div>
                </td>
                <td className="nowrap">{formatTime(user.added_at)}</td>
                <RemoveFromPoolCell poolId={poolId} kind="users" member={user} onRemoved={onChanged} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LoadMore hasMore={Boolean(list.nextCursor)} loading={list.loadingMore} onClick={list.loadMore} />
    </>
  );
}
