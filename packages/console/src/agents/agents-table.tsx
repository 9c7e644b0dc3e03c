/** The All Agents table: exactly the reference's columns; six of them sort on the server. */
import { LabelChips } from "./label-chips";
import type { Agent } from "../api/types";
import { AgentStatusBadge, Badge } from "../components/badge";
import { useSession } from "../auth/session";
import { CopyButton } from "../components/copy-button";
import { formatTime } from "../components/format";
import { RowMenu } from "../components/menu";
import { ActionsHeader, isInteractiveClick, SortHeader, type SortState } from "../components/table-parts";
import { ModuleChips, PoolBadges } from "./module-chips";
import type { AgentSort } from "./use-agents";

/**
 * The tail of an agent's UUID: its ids are UUIDv7, whose first groups are the registration time
 * (agents registered together share them) and whose last group is random. The whole id is in the
 * title and the copy button.
 */
function shortId(id: string): string {
  return `…${id.slice(-12)}`;
}

interface Props {
  agents: Agent[];
  sort: SortState<AgentSort>;
  onSort: (next: SortState<AgentSort>) => void;
  selected: Set<string>;
  onSelect: (next: Set<string>) => void;
  openAgentId: string | null;
  onOpen: (id: string) => void;
  onArchive: (agent: Agent) => void;
  onPause: (agent: Agent) => void;
}

/** a < b as dotted version numbers (1.9.0 < 1.10.0); a prerelease or unparsable part compares as text. */
export function olderVersion(a: string, b: string): boolean {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "";
    const y = pb[i] ?? "";
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    return Number.isInteger(nx) && Number.isInteger(ny) && x !== "" && y !== "" ? nx < ny : x < y;
  }
  return false;
}

export function AgentsTable({ agents, sort, onSort, selected, onSelect, openAgentId, onOpen, onArchive, onPause }: Props) {
  const serverVersion = useSession().me.server_version;
  const allSelected = agents.length > 0 && agents.every((a) => selected.has(a.id));
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    onSelect(next);
  };
  const header = (label: string, column: AgentSort) => <SortHeader label={label} column={column} state={sort} onSort={onSort} />;
  return (
    <table className="table agents-table">
      <thead>
        <tr>
          <th scope="col" className="col-check">
            <input
              type="checkbox"
              aria-label="Select all agents on this page"
              checked={allSelected}
              onChange={() => onSelect(allSelected ? new Set() : new Set(agents.map((a) => a.id)))}
            />
          </th>
          {header("Agent Name", "name")}
          {header("Status", "status")}
          {header("Last updated", "status_updated_at")}
          {header("Version", "version")}
          {header("Host OS", "host_os")}
          {header("Last Restarted", "last_restarted_at")}
          <th scope="col">Installed Modules</th>
          <th scope="col">Pools</th>
          <th scope="col">Labels</th>
          <ActionsHeader />
        </tr>
      </thead>
      <tbody>
        {agents.map((agent) => (
          <tr
            key={agent.id}
            className={`clickable${agent.id === openAgentId ? " row-open" : ""}${agent.archived ? " row-archived" : ""}`}
            aria-selected={selected.has(agent.id)}
            data-agent-id={agent.id}
            onClick={(e) => {
              if (!isInteractiveClick(e)) onOpen(agent.id);
            }}
          >
            <td className="col-check">
              <input type="checkbox" aria-label={`Select ${agent.name}`} checked={selected.has(agent.id)} onChange={() => toggle(agent.id)} />
            </td>
            <td>
              <button type="button" className="link-btn agent-name" onClick={() => onOpen(agent.id)} aria-label={`Open details of ${agent.name}`}>
                {agent.name}
              </button>
              {agent.archived && <span className="tag">Archived</span>}
              {agent.paused && !agent.archived && <span className="tag tag-paused">Paused</span>}
              <div className="agent-id mono">
                <span title={agent.id}>{shortId(agent.id)}</span>
                <CopyButton text={agent.id} label={`Copy agent ID of ${agent.name}`} />
              </div>
            </td>
            <td>
              <AgentStatusBadge status={agent.status} />
            </td>
            <td className="nowrap">{formatTime(agent.status_updated_at)}</td>
            <td className="mono">
              {agent.version}
              {olderVersion(agent.version, serverVersion) && (
                <>
                  {" "}
                  <Badge group="yellow" title={`This agent runs ${agent.version}, older than the server's ${serverVersion}. Upgrade: outpost-agent upgrade on the host, or POST /api/v1/pools/:id/upgrade.`}>
                    Older
                  </Badge>
                </>
              )}
            </td>
            <td>{agent.host_os || "—"}</td>
            <td className="nowrap">{formatTime(agent.last_restarted_at, "Unknown")}</td>
            <td>
              <ModuleChips agent={agent} />
            </td>
            <td>
              <PoolBadges agent={agent} />
            </td>
            <td>
              <LabelChips labels={agent.labels} />
            </td>
            <td className="col-actions">
              <RowMenu
                label={`Actions for ${agent.name}`}
                items={[
                  ...(agent.archived ? [] : [{ label: agent.paused ? "Resume Agent" : "Pause Agent", onSelect: () => onPause(agent) }]),
                  agent.archived ? { label: "Restore Agent", onSelect: () => onArchive(agent) } : { label: "Archive Agent", onSelect: () => onArchive(agent), danger: true },
                ]}
              />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
