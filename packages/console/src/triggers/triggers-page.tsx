/**
 * Triggers: schedules, webhooks and event triggers. The list shows kind, next firing or URL, last
 * result and whether it is enabled; a form creates one of each kind (a webhook's secret is shown
 * once); pause, resume and delete act on a row.
 */
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { useParams } from "react-router-dom";
import type { Trigger } from "@outpost/shared";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { formatTime } from "../components/format";
import { useToast } from "../components/toast";

type Kind = Trigger["kind"];

function nextOrUrl(t: Trigger): string {
  if (t.kind === "schedule") return t.enabled ? (t.next_fire_times[0] ? formatTime(t.next_fire_times[0]) : "Never") : "Paused";
  if (t.kind === "webhook") return `${location.origin}${t.hook_path ?? ""}`;
  return t.event?.on === "agent.status" ? `Agent status${t.event.status ? `: ${t.event.status.join(", ")}` : ""}` : "Job finished";
}

export function TriggersPage() {
  const { api } = useSession();
  const notify = useToast();
  const { triggerId } = useParams();
  const [items, setItems] = useState<Trigger[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ name: string; url: string; secret: string } | null>(null);
  const [form, setForm] = useState({ name: "", kind: "schedule" as Kind, cron: "0 * * * *", timezone: "UTC", module: "", fn: "", inputs: "{}", on: "job.finished" });

  const reload = useCallback(() => {
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
      reload();
    } catch (err) {
      notify("error", `Could not ${action} “${t.name}”: ${errorText(err)}`);
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

  async function create(e: FormEvent) {
    e.preventDefault();
    let inputs: unknown;
    try {
      inputs = JSON.parse(form.inputs);
    } catch {
      notify("error", "Inputs must be a JSON object.");
      return;
    }
    const body = {
      name: form.name,
      kind: form.kind,
      target: { module: form.module, function: form.fn, inputs },
      ...(form.kind === "schedule" ? { schedule: { cron: form.cron, timezone: form.timezone } } : {}),
      ...(form.kind === "event" ? { event: { on: form.on } } : {}),
    };
    try {
      const created = await api.send<Trigger & { secret: string | null }>("POST", "/triggers", body);
      if (created.secret) setSecret({ name: created.name, url: `${location.origin}${created.hook_path}`, secret: created.secret });
      notify("success", `Trigger “${created.name}” created.`);
      reload();
    } catch (err) {
      notify("error", `Could not create the trigger: ${errorText(err)}`);
    }
  }
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  return (
    <main className="page">
      <h1>Triggers</h1>
      <form className="trigger-form toolbar" aria-label="New trigger" onSubmit={create}>
        <div className="field">
          <label htmlFor="trigger-name">Name</label>
          <input id="trigger-name" value={form.name} onChange={set("name")} required />
        </div>
        <div className="field">
          <label htmlFor="trigger-kind">Kind</label>
          <select id="trigger-kind" value={form.kind} onChange={set("kind")}>
            <option value="schedule">Schedule</option>
            <option value="webhook">Webhook</option>
            <option value="event">Event</option>
          </select>
        </div>
        {form.kind === "schedule" && (
          <>
            <div className="field">
              <label htmlFor="trigger-cron">Cron</label>
              <input id="trigger-cron" className="mono" value={form.cron} onChange={set("cron")} />
            </div>
            <div className="field">
              <label htmlFor="trigger-tz">Time zone</label>
              <input id="trigger-tz" value={form.timezone} onChange={set("timezone")} />
            </div>
          </>
        )}
        {form.kind === "event" && (
          <div className="field">
            <label htmlFor="trigger-on">On</label>
            <select id="trigger-on" value={form.on} onChange={set("on")}>
              <option value="job.finished">A job finishes</option>
              <option value="agent.status">An agent changes status</option>
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor="trigger-module">Module</label>
          <input id="trigger-module" value={form.module} onChange={set("module")} required />
        </div>
        <div className="field">
          <label htmlFor="trigger-function">Function</label>
          <input id="trigger-function" value={form.fn} onChange={set("fn")} required />
        </div>
        <div className="field">
          <label htmlFor="trigger-inputs">Inputs (JSON)</label>
          <input id="trigger-inputs" className="mono" value={form.inputs} onChange={set("inputs")} />
        </div>
        <button type="submit" className="btn btn-primary">
          Create trigger
        </button>
      </form>
      {secret && (
        <section className="trigger-secret" role="status" aria-label="Webhook secret">
          <p>
            Webhook <strong>{secret.name}</strong>: send signed deliveries to <code>{secret.url}</code>. Its secret is shown this once:
          </p>
          <code className="mono">{secret.secret}</code>
        </section>
      )}
      {error && <p role="alert">{error}</p>}
      {items && items.length === 0 && <p className="muted">No triggers yet.</p>}
      {items && items.length > 0 && (
        <table className="triggers-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Next firing or URL</th>
              <th>Last result</th>
              <th>Enabled</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <tr key={t.id} data-trigger-id={t.id} className={t.id === triggerId ? "selected" : undefined}>
                <td>{t.name}</td>
                <td>{t.kind}</td>
                <td className="mono small">{nextOrUrl(t)}</td>
                <td>{t.last_firing ? `${t.last_firing.outcome} ${formatTime(t.last_firing.fired_at)}${t.last_firing.error ? `: ${t.last_firing.error}` : ""}` : "—"}</td>
                <td>{t.enabled ? "Yes" : "Paused"}</td>
                <td>
                  <button type="button" className="btn btn-small" onClick={() => act(t, t.enabled ? "pause" : "resume")}>
                    {t.enabled ? "Pause" : "Resume"} {t.name}
                  </button>{" "}
                  {t.kind === "webhook" && t.enabled && (
                    <>
                      <button type="button" className="btn btn-small" onClick={() => testDelivery(t)}>
                        Send test delivery to {t.name}
                      </button>{" "}
                    </>
                  )}
                  <button type="button" className="btn btn-small" onClick={() => act(t, "delete")}>
                    Delete {t.name}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
