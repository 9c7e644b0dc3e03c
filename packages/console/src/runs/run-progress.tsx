/** Step-by-step progress (status, duration, output) and the attempts a run has had. */
import type { Job } from "../api/types";
import { between, formatDuration, formatTime } from "../components/format";

const STEP_ICON: Record<string, string> = { pending: "○", running: "◐", completed: "✓", failed: "✕", skipped: "–" };
const STEP_LABEL: Record<string, string> = { pending: "Pending", running: "Running", completed: "Completed", failed: "Failed", skipped: "Skipped" };
const OUTCOME_LABEL: Record<string, string> = {
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  lost: "Agent lost",
  released: "Released",
};

export function RunSteps({ run }: { run: Job }) {
  if (run.steps.length === 0) return null;
  const done = run.steps.filter((s) => s.status === "completed" || s.status === "skipped").length;
  return (
    <section className="run-section" aria-labelledby="run-steps-title">
      <div className="section-head">
        <h3 id="run-steps-title">Steps</h3>
        <span className="muted small">
          {done} of {run.steps.length} done
        </span>
      </div>
      <progress className="steps-progress" value={done} max={run.steps.length} aria-label="Step progress" />
      <ol className="steps">
        {run.steps.map((step) => (
          <li key={step.name} className={`step step-${step.status}`} data-step-status={step.status}>
            <span className="step-icon" aria-hidden="true">
              {STEP_ICON[step.status] ?? "•"}
            </span>
            <span className="step-name">{step.name}</span>
            <span className="step-status">{STEP_LABEL[step.status] ?? step.status}</span>
            <span className="muted small step-duration">{step.started_at ? formatDuration(between(step.started_at, step.ended_at ?? (step.status === "running" ? new Date().toISOString() : null))) : ""}</span>
            {step.output && <pre className="step-output">{step.output}</pre>}
          </li>
        ))}
      </ol>
    </section>
  );
}

export function RunAttempts({ run }: { run: Job }) {
  if (run.attempts.length === 0) return null;
  return (
    <section className="run-section" aria-labelledby="run-attempts-title">
      <div className="section-head">
        <h3 id="run-attempts-title">Attempts</h3>
        <span className="muted small">
          {run.attempt} of at most {run.max_attempts}
        </span>
      </div>
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Agent</th>
            <th scope="col">Claimed</th>
            <th scope="col">Outcome</th>
            <th scope="col">Exit code</th>
          </tr>
        </thead>
        <tbody>
          {run.attempts.map((a) => (
            <tr key={a.attempt}>
              <td>{a.attempt}</td>
              <td>{a.agent_name ?? a.agent_id}</td>
              <td className="nowrap">{formatTime(a.claimed_at)}</td>
              <td>
                {OUTCOME_LABEL[a.outcome] ?? a.outcome}
                {a.error && <div className="muted small">{a.error.message}</div>}
              </td>
              <td className="mono">{a.exit_code ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
