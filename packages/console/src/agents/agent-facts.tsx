/** The agent detail's facts: hostname, CPU, memory, slots, labels, last seen, and its current run. */
import { Link } from "react-router-dom";
import { useSession } from "../auth/session";
import { useLoad } from "../api/use-paged-list";
import type { Agent, Job } from "../api/types";
import { formatTime } from "../components/format";
import { LabelChips } from "./label-chips";

const GIB = 1024 ** 3;

export function AgentFacts({ agent, version }: { agent: Agent; version: number }) {
  const { api } = useSession();
  const current = useLoad(
    () => api.list<Job>("/jobs", { agent_id: agent.id, status: "claimed,running,cancelling", limit: 1 }),
    `${agent.id}:${version}`,
  );
  const run = current.data?.items[0];
  return (
    <dl className="agent-facts" aria-label="Agent facts">
      <div>
        <dt>Hostname</dt>
        <dd className="mono">{agent.hostname}</dd>
      </div>
      <div>
        <dt>CPU</dt>
        <dd>{agent.cpu_count === null ? "—" : `${agent.cpu_count} cores`}</dd>
      </div>
      <div>
        <dt>Memory</dt>
        <dd>{agent.memory_bytes === null ? "—" : `${(agent.memory_bytes / GIB).toFixed(1)} GiB`}</dd>
      </div>
      <div>
        <dt>Slots</dt>
        <dd>{agent.slots}</dd>
      </div>
      <div>
        <dt>Labels</dt>
        <dd>
          <LabelChips labels={agent.labels} />
        </dd>
      </div>
      <div>
        <dt>Last seen</dt>
        <dd>{formatTime(agent.last_seen_at, "Never")}</dd>
      </div>
      <div>
        <dt>Current run</dt>
        <dd>{run ? <Link to={`/runs/${encodeURIComponent(run.id)}`}>{`${run.module}.${run.function}`}</Link> : <span className="muted">None</span>}</dd>
      </div>
    </dl>
  );
}
