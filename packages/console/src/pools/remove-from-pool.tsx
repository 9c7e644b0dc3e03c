/** The Remove cell of a pool's Agents and Users tabs: takes that member out of the pool and says how it went. */
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { useToast } from "../components/toast";

interface Props {
  poolId: string;
  kind: "agents" | "users";
  member: { id: string; name: string };
  onRemoved: () => void;
}

export function RemoveFromPoolCell({ poolId, kind, member, onRemoved }: Props) {
  const { api } = useSession();
  const notify = useToast();

  async function remove() {
    try {
      await api.send("DELETE", `/pools/${poolId}/${kind}/${member.id}`);
      notify("success", `${member.name} removed from the pool.`);
      onRemoved();
    } catch (err) {
      notify("error", `Could not remove ${member.name}: ${errorText(err)}`);
    }
  }

  return (
    <td className="col-actions">
      <button type="button" className="btn btn-small btn-ghost" onClick={() => void remove()} aria-label={`Remove ${member.name} from pool`}>
        Remove
      </button>
    </td>
  );
}
