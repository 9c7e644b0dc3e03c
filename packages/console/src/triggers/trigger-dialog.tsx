/**
 * Create or edit a trigger of one kind: its name and target (module, function, inputs template,
 * pool), then the kind's own part: a schedule's cron, zone and policies with a preview, or an
 * event trigger's filter. A new webhook answers its URL and its secret, shown here this once.
 */
import { useState, type FormEvent } from "react";
import { AGENT_STATUSES, TERMINAL_JOB_STATUSES, type EventFilter, type Trigger } from "@outpost/shared";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { CopyButton } from "../components/copy-button";
import { Dialog, DialogFormActions } from "../components/dialog";
import { PoolSelect } from "../components/pool-select";
import { SchedulePreview } from "./schedule-preview";

type Kind = Trigger["kind"];
export const KIND_LABEL: Record<Kind, string> = { schedule: "Schedule", webhook: "Webhook", event: "Event trigger" };

interface Props {
  kind: Kind;
  /** The trigger to edit; absent: create one. */
  trigger?: Trigger;
  onSaved: (t: Trigger) => void;
  onClose: () => void;
}

function initial(kind: Kind, t?: Trigger) {
  const ev = t?.event;
  return {
    name: t?.name ?? "",
    module: t?.target.module ?? "",
    fn: t?.target.function ?? "",
    inputs: JSON.stringify(t?.target.inputs ?? {}, null, 2),
    poolId: t?.target.pool_id ?? "",
    cron: t?.schedule?.cron ?? (kind === "schedule" ? "0 2 * * *" : ""),
    timezone: t?.schedule?.timezone ?? "UTC",
    overlap: t?.schedule?.overlap ?? "skip",
    missed: t?.schedule?.missed ?? "skip",
    on: (ev?.on ?? "job.finished") as EventFilter["on"],
    evModule: ev?.on === "job.finished" ? (ev.module ?? "") : "",
    evFunction: ev?.on === "job.finished" ? (ev.function ?? "") : "",
    outcome: ev?.on === "job.finished" ? ((ev.outcome ?? []) as string[]) : [],
    evPool: ev?.on === "agent.status" ? (ev.pool_id ?? "") : "",
    statuses: ev?.on === "agent.status" ? ((ev.status ?? []) as string[]) : [],
  };
}
type Form = ReturnType<typeof initial>;

function eventOf(f: Form): EventFilter {
  if (f.on === "agent.status") return { on: "agent.status", ...(f.evPool ? { pool_id: f.evPool } : {}), ...(f.statuses.length ? { status: f.statuses as never } : {}) };
  return { on: "job.finished", ...(f.evModule ? { module: f.evModule } : {}), ...(f.evFunction ? { function: f.evFunction } : {}), ...(f.outcome.length ? { outcome: f.outcome as never } : {}) };
}

export function TriggerDialog({ kind, trigger, onSaved, onClose }: Props) {
  const { api } = useSession();
  const [f, setF] = useState<Form>(() => initial(kind, trigger));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const set = <K extends keyof Form>(k: K) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const toggle = (k: "outcome" | "statuses", v: string) => setF({ ...f, [k]: f[k].includes(v) ? f[k].filter((x) => x !== v) : [...f[k], v] });

  async function submit(e: FormEvent) {
    e.preventDefault();
    let inputs: unknown;
    try {
      inputs = JSON.parse(f.inputs || "{}");
    } catch {
      setError("Inputs template must be a JSON object.");
      return;
    }
    const { pool_id: _p, agent_id: _a, ...kept } = trigger?.target ?? {};
    const target = { ...kept, module: f.module.trim(), function: f.fn.trim(), inputs, ...(f.poolId ? { pool_id: f.poolId } : trigger?.target.agent_id ? { agent_id: trigger.target.agent_id } : {}) };
    const part = kind === "schedule" ? { schedule: { cron: f.cron.trim(), timezone: f.timezone.trim() || "UTC", overlap: f.overlap, missed: f.missed } } : kind === "event" ? { event: eventOf(f) } : {};
    setBusy(true);
    setError(null);
    try {
      const saved = trigger
        ? await api.send<Trigger>("PATCH", `/triggers/${trigger.id}`, { name: f.name.trim(), target, ...part })
        : await api.send<Trigger & { secret: string | null }>("POST", "/triggers", { name: f.name.trim(), kind, target, ...part });
      onSaved(saved);
      const once = (saved as { secret?: string | null }).secret;
      if (once) setSecret({ url: `${location.origin}${saved.hook_path ?? ""}`, secret: once });
      else onClose();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  if (secret) {
    return (
      <Dialog title="Webhook created" onClose={onClose} footer={<button type="button" className="btn btn-primary" onClick={onClose}>Done</button>}>
        <section className="trigger-secret" role="status" aria-label="Webhook secret">
          <p>Send signed deliveries (POST, JSON) to:</p>
          <p className="secret-line">
            <code className="mono">{secret.url}</code> <CopyButton text={secret.url} label="Copy webhook URL" />
          </p>
          <p>
            Its secret is shown <strong>this once</strong>; sign <code>timestamp.body</code> with HMAC-SHA256 (docs/api.md, “Webhooks”):
          </p>
          <p className="secret-line">
            <code className="mono">{secret.secret}</code> <CopyButton text={secret.secret} label="Copy webhook secret" />
          </p>
        </section>
      </Dialog>
    );
  }

  const title = `${trigger ? "Edit" : "New"} ${KIND_LABEL[kind].toLowerCase()}`;
  return (
    <Dialog title={title.charAt(0).toUpperCase() + title.slice(1)} onClose={onClose} wide>
      <form onSubmit={submit} noValidate aria-label={title}>
        <div className="form-grid">
          <Field id="trigger-name" label="Name" required>
            <input id="trigger-name" value={f.name} onChange={set("name")} required autoFocus maxLength={100} />
          </Field>
          <Field id="trigger-pool" label="Pool">
            <PoolSelect id="trigger-pool" value={f.poolId} emptyLabel="Any agent" onChange={(v) => setF({ ...f, poolId: v })} />
          </Field>
          <Field id="trigger-module" label="Module" required>
            <input id="trigger-module" value={f.module} onChange={set("module")} required />
          </Field>
          <Field id="trigger-function" label="Function" required>
            <input id="trigger-function" value={f.fn} onChange={set("fn")} required />
          </Field>
        </div>
        <Field id="trigger-inputs" label={kind === "schedule" ? "Inputs (JSON)" : `Inputs template (JSON; the ${kind === "webhook" ? "delivery becomes “payload”" : "event becomes “event”"})`}>
          <textarea id="trigger-inputs" className="mono" rows={3} value={f.inputs} onChange={set("inputs")} />
        </Field>
        {kind === "schedule" && (
          <>
            <div className="form-grid">
              <Field id="trigger-cron" label="Cron (5 or 6 fields)" required>
                <input id="trigger-cron" className="mono" value={f.cron} onChange={set("cron")} />
              </Field>
              <Field id="trigger-tz" label="Time zone (IANA)">
                <input id="trigger-tz" value={f.timezone} onChange={set("timezone")} />
              </Field>
              <Field id="trigger-overlap" label="If the previous run is still going">
                <select id="trigger-overlap" value={f.overlap} onChange={set("overlap")}>
                  <option value="skip">Skip this firing</option>
                  <option value="allow">Start another run</option>
                  <option value="queue">Queue one run</option>
                </select>
              </Field>
              <Field id="trigger-missed" label="Firings missed while down">
                <select id="trigger-missed" value={f.missed} onChange={set("missed")}>
                  <option value="skip">Skip them</option>
                  <option value="run_once">Run once</option>
                </select>
              </Field>
            </div>
            <SchedulePreview cron={f.cron} timezone={f.timezone} />
          </>
        )}
        {kind === "event" && (
          <fieldset className="event-filter">
            <legend>Filter</legend>
            <Field id="trigger-on" label="Fires when">
              <select id="trigger-on" value={f.on} onChange={set("on")}>
                <option value="job.finished">A job finishes</option>
                <option value="agent.status">An agent changes status</option>
              </select>
            </Field>
            {f.on === "job.finished" ? (
              <>
                <div className="form-grid">
                  <Field id="event-module" label="Of module (any if empty)">
                    <input id="event-module" value={f.evModule} onChange={set("evModule")} />
                  </Field>
                  <Field id="event-function" label="Of function (any if empty)">
                    <input id="event-function" value={f.evFunction} onChange={set("evFunction")} />
                  </Field>
                </div>
                <Checks legend="With outcome (any if none)" options={TERMINAL_JOB_STATUSES} checked={f.outcome} onToggle={(v) => toggle("outcome", v)} />
              </>
            ) : (
              <>
                <Field id="event-pool" label="Agents of pool">
                  <PoolSelect id="event-pool" value={f.evPool} emptyLabel="Any pool" onChange={(v) => setF({ ...f, evPool: v })} />
                </Field>
                <Checks legend="Changing to (any if none)" options={AGENT_STATUSES} checked={f.statuses} onToggle={(v) => toggle("statuses", v)} />
              </>
            )}
          </fieldset>
        )}
        <DialogFormActions error={error} submitLabel={busy ? "Saving…" : trigger ? "Save" : "Create trigger"} busy={busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function Field({ id, label, required, children }: { id: string; label: string; required?: boolean; children: React.ReactNode }) {
  return (
    <div className="form-field">
      <label htmlFor={id}>
        {label}
        {required && <span aria-hidden="true"> *</span>}
      </label>
      {children}
    </div>
  );
}

function Checks({ legend, options, checked, onToggle }: { legend: string; options: readonly string[]; checked: string[]; onToggle: (v: string) => void }) {
  return (
    <fieldset className="checks">
      <legend className="small">{legend}</legend>
      {options.map((o) => (
        <label key={o} className="check">
          <input type="checkbox" checked={checked.includes(o)} onChange={() => onToggle(o)} /> {o}
        </label>
      ))}
    </fieldset>
  );
}
