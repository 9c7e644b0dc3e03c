/**
 * The selected run: status, triggered by, pool, started/completed, duration, inputs, error details
 * with the failing step, step progress, live logs, attempts and the report. Pushed job changes
 * (job.updated on the change feed) refetch it, so a running run updates without a reload.
 */
import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { isTerminalJobStatus } from "@outpost/shared";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { useChanges } from "../api/events";
import { useLoad } from "../api/use-paged-list";
import type { Job } from "../api/types";
import { RunStatusBadge } from "../components/badge";
import { CopyButton } from "../components/copy-button";
import { Fact } from "../components/fact";
import { ConfirmDialog } from "../components/dialog";
import { formatDuration, formatTime } from "../components/format";
import { CloseIcon } from "../components/icons";
import { ErrorState, Loading } from "../components/states";
import { useToast } from "../components/toast";
import { triggerLabel } from "./runs-filters";
import { RunLogs } from "./run-logs";
import { RunAttempts, RunSteps } from "./run-progress";
import { RunReport } from "./run-report";
import { runDuration } from "./runs-table";

const REASON_LABEL: Record<string, string> = {
  exit_code: "The function exited with an error",
  oom_killed: "Out of memory",
  outputs_exceeded: "Wrote more outputs than allowed",
  timeout: "Timed out",
  agent_lost: "The agent was lost",
  image: "Module or image problem",
  create: "Could not create the container",
  start: "Could not start the container",
  cancelled: "Cancelled",
  stale_attempt: "Superseded attempt",
  internal: "Internal error",
};

/** Re-renders every second while `on`, so a running run's duration counts up. */
function useTick(on: boolean): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!on) return undefined;
    const timer = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [on]);
}

export function RunDetail({ runId, onClose }: { runId: string; onClose: () => void }) {
  const { api } = useSession();
  const notify = useToast();
  const run = useLoad(() => api.get<Job>(`/jobs/${encodeURIComponent(runId)}`), runId);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const navigate = useNavigate();
  useChanges(["job.updated"], (event) => {
    if (event.id === runId) run.reload(true);
  });
  const r = run.data;
  const live = r ? !isTerminalJobStatus(r.status) : false;
  useTick(Boolean(r && r.status === "running"));

  async function cancel() {
    setCancelling(true);
    try {
      run.setData(await api.send<Job>("POST", `/jobs/${encodeURIComponent(runId)}/cancel`));
      notify("success", "Cancel requested.");
    } catch (err) {
      notify("error", `Could not cancel the run: ${errorText(err)}`);
    } finally {
      setCancelling(false);
      setConfirmCancel(false);
    }
  }

  async function rerun() {
    try {
      const created = await api.send<Job>("POST", `/jobs/${encodeURIComponent(runId)}/rerun`);
      notify("success", "Re-run started.");
      navigate(`/runs/${created.id}`);
    } catch (err) {
      notify("error", `Could not re-run: ${errorText(err)}`);
    }
  }

  return (
    <aside className="run-detail" aria-labelledby="run-detail-title">
      <header className="run-detail-head">
        <div className="run-detail-titles">
          <h2 id="run-detail-title">{r ? `${r.module}.${r.function}` : "Run"}</h2>
          <div className="agent-id mono">
            <span>{runId}</span>
            <CopyButton text={runId} label="Copy run ID" />
          </div>
        </div>
        {r && <RunStatusBadge status={r.status} />}
        {r && (
          <button type="button" className="btn btn-small" onClick={rerun}>
            Re-run
          </button>
        )}
        {r && live && r.status !== "cancelling" && (
          <button type="button" className="btn btn-small btn-danger" onClick={() => setConfirmCancel(true)}>
            Cancel run
          </button>
        )}
        <button type="button" className="icon-btn" aria-label="Close run details" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      <div className="run-detail-body">
        {run.error && <ErrorState message={run.error} onRetry={() => run.reload()} />}
        {!r && !run.error && <Loading label="Loading run…" />}
        {r && (
          <>
            <dl className="facts">
              <Fact label="Status">
                <RunStatusBadge status={r.status} />
                {r.status === "retrying" && r.retry_at && <RetryingIn at={r.retry_at} />}
                {r.status === "retrying" && r.error && (
                  <span className="muted small fact-note">
                    Attempt {r.attempt} of {r.max_attempts} failed: {r.error.message || (REASON_LABEL[r.error.reason] ?? r.error.reason)}
                  </span>
                )}
                {r.waiting_reason && r.status !== "retrying" && <span className="muted small fact-note">{r.waiting_reason}</span>}
              </Fact>
              <Fact label="Triggered by">
                {r.trigger_id ? <Link to={`/triggers/${r.trigger_id}`}>{r.triggered_by}</Link> : r.triggered_by || "—"}{" "}
                <span className="muted">({triggerLabel(r.trigger_source)})</span>
              </Fact>
              <Fact label="Pool">{r.pool_name ?? <span className="muted">{r.target_agent_id ? "None: sent to one agent" : "None: any agent"}</span>}</Fact>
              <Fact label="Agent">{r.agent_name ?? "Not assigned yet"}</Fact>
              <Fact label="Module">
                <span className="mono">
                  {r.module} {r.version}
                </span>
              </Fact>
              <Fact label="Created">{formatTime(r.inserted_at)}</Fact>
              <Fact label="Started">{formatTime(r.started_at, "Not started")}</Fact>
              <Fact label="Completed">{formatTime(r.completed_at, live ? "Not yet" : "—")}</Fact>
              <Fact label="Duration">{formatDuration(runDuration(r))}</Fact>
              {r.rerun_of && (
                <Fact label="Re-run of">
                  <Link to={`/runs/${r.rerun_of}`} className="mono">
                    {r.rerun_of}
                  </Link>
                </Fact>
              )}
              <Fact label="Attempt">
                {r.attempt} of {r.max_attempts}
              </Fact>
              {r.exit_code !== null && <Fact label="Exit code">{r.exit_code}</Fact>}
            </dl>
            {r.error && (
              <section className="run-error" role="alert" aria-label="Error details">
                <strong>{REASON_LABEL[r.error.reason] ?? r.error.reason}</strong>
                {r.error.step && (
                  <p>
                    Failed at step <strong>{r.error.step}</strong>
                  </p>
                )}
                <pre className="error-message">{r.error.message}</pre>
              </section>
            )}
            <section className="run-section" aria-labelledby="run-inputs-title">
              <div className="section-head">
                <h3 id="run-inputs-title">Inputs</h3>
              </div>
              {Object.keys(r.inputs).length === 0 ? <p className="muted">No inputs.</p> : <pre className="code-block">{JSON.stringify(r.inputs, null, 2)}</pre>}
            </section>
            <RunSteps run={r} />
            <RunLogs runId={runId} live={live} />
            {r.has_report && <RunReport runId={runId} version={r.updated_at} />}
            {!r.has_report && !live && r.status === "completed" && <p className="muted">This run produced no report.</p>}
            <RunAttempts run={r} />
          </>
        )}
      </div>
      {confirmCancel && (
        <ConfirmDialog
          title="Cancel this run?"
          message="The agent stops the run; it ends as Cancelled."
          confirmLabel="Cancel run"
          danger
          busy={cancelling}
          onConfirm={() => void cancel()}
          onCancel={() => setConfirmCancel(false)}
        />
      )}
    </aside>
  );
}

/** "Retrying in 12 s": counts down to the job's retry_at, once a second. */
function RetryingIn({ at }: { at: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const s = Math.max(0, Math.ceil((Date.parse(at) - now) / 1000));
  return <span className="small fact-note retrying-in">{s > 0 ? `Retrying in ${s} s` : "Retrying now"}</span>;
}
