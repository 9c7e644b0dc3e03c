/**
 * Triggers: schedules, webhooks and event triggers. The list shows kind, next firing or URL, last
 * result and whether it is enabled; a dialog creates or edits each kind (trigger-dialog.tsx; a new
 * webhook's secret is shown once); a row's actions pause, resume, edit, delete and send a webhook
 * a test delivery; /triggers/:id opens its firings and deliveries (trigger-detail.tsx).
 */
import { useCallback, useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import type { Trigger } from "@outpost/shared";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { ConfirmDialog } from "../components/dialog";
import { formatTime } from "../components/format";
import { useToast } from "../components/toast";
import { KIND_LABEL, TriggerDialog } from "./trigger-dialog";
import { filterText, TriggerDetail } from "./trigger-detail";

type Kind = Trigger["kind"];

function nextOrUrl(t: Trigger): string {
  if (t.kind === "schedule") return t.enabled ? (t.next_fire_times[0] ? formatTime(t.next_fire_times[0]) : "Never") : "Paused";
  if (t.kind === "webhook") return `${location.origin}${t.hook_path ?? ""}`;
  return filterText(t);
}

function lastResult(t: Trigger): string {
  const f = t.last_firing;
  return f ? `${f.outcome} ${formatTime(f.fired_at)}${f.error ? `: ${f.error}` : ""}` : "—";
}

export function TriggersPage() {
  const { api } = useSession();
  const notify = useToast();
  const navigate = useNavigate();
  const { triggerId } = useParams();
  const [items, setItems] = useState<Trigger[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<{ kind: Kind; trigger?: Trigger } | null>(null);
  const [deleting, setDeleting] = useState<Trigger | null>(null);
  const [version, setVersion] = useState(0);

  const reload = useCallback(() => {
    setVersion((v) => v + 1);
    api
      .list<Trigger>("/triggers", { limit: 100 })
      .then((p) => setItems(p.items))
      .catch((err) => setError(errorText(err)));
  }, [api]);
  useEffect(reload, [reload]);

  async function act(t: Trigger, action: "pause" | "resume" | "delete") {
    try {
      if (action === "delete") await api.send("DELETE", `/triggers/${t.id}`);
      else await api.send("POST", `/triggers/${t.id}/${action}`);
      notify("success", `Trigger “${t.name}” ${action === "delete" ? "deleted" : action === "pause" ? "paused" : "resumed"}.`);
      if (action === "delete" && t.id === triggerId) navigate("/triggers");
      reload();
    } catch (err) {
      notify("error", `Could not ${action} “${t.name}”: ${errorText(err)}`);
    } finally {
      setDeleting(null);
    }
  }

  async function testDelivery(t: Trigger) {
    try {
      const d = await api.send<{ job_id: string | null; status: string; error: string | null }>("POST", `/triggers/${t.id}/test-delivery`, { payload: { test: true } });
      notify(d.job_id ? "success" : "error", d.job_id ? `Test delivery to “${t.name}” started run ${d.job_id}.` : `Test delivery to “${t.name}” ${d.status}: ${d.error ?? ""}`);
      reload();
    } catch (err) {
      notify("error", `Could not send a test delivery to “${t.name}”: ${errorText(err)}`);
    }
  }

  const open = items?.find((t) => t.id === triggerId);
  return (
    <main className="page" aria-labelledby="triggers-title">
      <div className="page-head">
        <h1 id="triggers-title">Triggers</h1>
        <div className="page-actions">
          {(["schedule", "webhook", "event"] as const).map((k) => (
            <button key={k} type="button" className="btn btn-primary" onClick={() => setDialog({ kind: k })}>
              New {KIND_LABEL[k].toLowerCase()}
            </button>
          ))}
        </div>
      </div>
      {error && <p role="alert">{error}</p>}
      {items && items.length === 0 && <p className="muted">No triggers yet: a schedule, a webhook or an event trigger starts runs on its own.</p>}
      {items && items.length > 0 && (
        <table className="table triggers-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Next firing, URL or filter</th>
              <th scope="col">Last result</th>
              <th scope="col">Enabled</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <tr key={t.id} data-trigger-id={t.id} className={t.id === triggerId ? "row-open" : undefined}>
                <td>
                  <button type="button" className="link-btn" onClick={() => navigate(`/triggers/${t.id}`)} aria-label={`Open trigger ${t.name}`}>
                    {t.name}
                  </button>
                </td>
                <td>{KIND_LABEL[t.kind]}</td>
                <td className="mono small wrap-anywhere">{nextOrUrl(t)}</td>
                <td className="small">{lastResult(t)}</td>
                <td>{t.enabled ? "Yes" : "Paused"}</td>
                <td className="row-actions">
                  <button type="button" className="btn btn-small" onClick={() => act(t, t.enabled ? "pause" : "resume")} aria-label={`${t.enabled ? "Pause" : "Resume"} ${t.name}`}>
                    {t.enabled ? "Pause" : "Resume"}
                  </button>
                  <button type="button" className="btn btn-small" onClick={() => setDialog({ kind: t.kind, trigger: t })} aria-label={`Edit ${t.name}`}>
                    Edit
                  </button>
                  {t.kind === "webhook" && t.enabled && (
                    <button type="button" className="btn btn-small" onClick={() => testDelivery(t)} aria-label={`Send test delivery to ${t.name}`}>
                      Test delivery
                    </button>
                  )}
                  <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(t)} aria-label={`Delete ${t.name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && <TriggerDetail key={open.id} trigger={open} version={`${version}|${open.updated_at}|${open.last_firing?.id ?? ""}`} onClose={() => navigate("/triggers")} />}
      {dialog && <TriggerDialog kind={dialog.kind} trigger={dialog.trigger} onSaved={() => reload()} onClose={() => setDialog(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete “${deleting.name}”?`}
          message="It stops firing. The runs it started stay in the history."
          confirmLabel="Delete"
          danger
          onConfirm={() => void act(deleting, "delete")}
          onCancel={() => setDeleting(null)}
        />
      )}
    </main>
  );
}
