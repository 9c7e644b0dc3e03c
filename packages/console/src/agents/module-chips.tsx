/** Installed modules as chips (a popover gives name, version and install time) and pool badges, each with +N more. */
import type { Agent } from "../api/types";
import { formatTime } from "../components/format";
import { Popover } from "../components/popover";

const SHOWN_MODULES = 2;
const SHOWN_POOLS = 2;

export function ModuleChips({ agent }: { agent: Agent }) {
  if (agent.modules.length === 0) return <span className="muted">None</span>;
  const shown = agent.modules.slice(0, SHOWN_MODULES);
  const rest = agent.modules.slice(SHOWN_MODULES);
  return (
    <span className="chips">
      {shown.map((m) => (
        <Popover key={m.name} className="chip" label={`Module ${m.name}`} trigger={m.name}>
          <span className="popover-title">{m.name}</span>
          <span>Version {m.version}</span>
          <span className="muted">Installed {formatTime(m.installed_at, "at an unknown time")}</span>
        </Popover>
      ))}
      {rest.length > 0 && (
        <Popover className="chip chip-more" label={`${rest.length} more modules on ${agent.name}`} trigger={`+${rest.length} more`}>
          <span className="popover-title">More modules</span>
          {rest.map((m) => (
            <span key={m.name}>
              {m.name} <span className="muted">{m.version}</span>
            </span>
          ))}
        </Popover>
      )}
    </span>
  );
}

export function PoolBadges({ agent }: { agent: Agent }) {
  if (agent.pools.length === 0) return <span className="muted">—</span>;
  const shown = agent.pools.slice(0, SHOWN_POOLS);
  const rest = agent.pools.slice(SHOWN_POOLS);
  return (
    <span className="chips">
      {shown.map((p) => (
        <span key={p.id} className="pool-badge">
          {p.name}
        </span>
      ))}
      {rest.length > 0 && (
        <Popover className="pool-badge chip-more" label={`${rest.length} more pools of ${agent.name}`} trigger={`+${rest.length} more`}>
          <span className="popover-title">More pools</span>
          {rest.map((p) => (
            <span key={p.id}>{p.name}</span>
          ))}
        </Popover>
      )}
    </span>
  );
}
