/**
 * The selected trigger: what it does (a schedule's description and next five firings, a webhook's
 * URL, an event trigger's filter), its recent firings (time, run link, outcome, error) and, for a
 * webhook, its last deliveries (status, error). Reloads when `version` changes (after an action).
 */
import { Link } from "react-router-dom";
import type { Trigger, TriggerFiring, WebhookDelivery } from "@outpost/shared";
import { useSession } from "../auth/session";
import { useLoad } from "../api/use-paged-list";
import { Badge } from "../components/badge";
import { formatTime } from "../components/format";
import { CloseIcon } from "../components/icons";
import { describeCron, formatInZone } from "./schedule-preview";

const OUTCOME_GROUP = { started: "green", accepted: "green", queued: "yellow", skipped: "neutral", failed: "red", rejected: "red" } as const;

export function filterText(t: Trigger): string {
  const e = t.event;
  if (!e) return "—";
  if (e.on === "agent.status") return `An agent${e.pool_id ? " of the pool" : ""} changes status${e.status ? ` to ${e.status.join(" or ")}` : ""}`;
  const what = [e.module, e.function].filter(Boolean).join(".") || "any job";
  return `${what} finishes${e.outcome ? ` ${e.outcome.join(" or ")}` : ""}`;
}

export function TriggerDetail({ trigger: t, version, onClose }: { trigger: Trigger; version: string; onClose: () => void }) {
  const { api } = useSession();
  const firings = useLoad(() => api.list<TriggerFiring>(`/triggers/${t.id}/firings`, { limit: 20 }), `${t.id}|${version}`);
  const deliveries = useLoad(
    () => (t.kind === "webhook" ? api.get<WebhookDelivery[]>(`/triggers/${t.id}/deliveries`) : Promise.resolve([] as WebhookDelivery[])),
    `${t.id}|${version}`,
  );
  return (
    <section className="trigger-detail" aria-labelledby="trigger-detail-title">
      <header className="run-detail-head">
        <h2 id="trigger-detail-title">{t.name}</h2>
        <button type="button" className="icon-btn" aria-label="Close trigger details" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      {t.schedule && (
        <p>
          <span className="mono">{t.schedule.cron}</span> in {t.schedule.timezone}: {describeCron(t.schedule.cron) ?? "—"}. Next:{" "}
          {t.next_fire_times.length ? t.next_fire_times.map((x) => formatInZone(x, t.schedule!.timezone)).join(" · ") : "none while paused"}
        </p>
      )}
      {t.kind === "webhook" && (
        <p>
          POST signed deliveries to <code className="mono">{`${location.origin}${t.hook_path ?? ""}`}</code>
        </p>
      )}
      {t.kind === "event" && <p>Fires when {filterText(t)}.</p>}
      <h3>Recent firings</h3>
      {firings.data && firings.data.items.length === 0 && <p className="muted">No firings yet.</p>}
      {firings.error && <p role="alert">{firings.error}</p>}
      {firings.data && firings.data.items.length > 0 && (
        <table className="table" aria-label="Recent firings">
          <thead>
            <tr>
              <th scope="col">Fired</th>
              <th scope="col">Run</th>
              <th scope="col">Outcome</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {firings.data.items.map((f) => (
              <tr key={f.id}>
                <td className="nowrap">{formatTime(f.fired_at)}</td>
                <td className="mono small">{f.job_id ? <Link to={`/runs/${f.job_id}`}>{f.job_id}</Link> : "—"}</td>
                <td>
                  <Badge group={OUTCOME_GROUP[f.outcome]}>{f.outcome}</Badge>
                </td>
                <td className="small">{f.error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {t.kind === "webhook" && (
        <>
          <h3>Last deliveries</h3>
          {deliveries.data && deliveries.data.length === 0 && <p className="muted">No deliveries yet.</p>}
          {deliveries.data && deliveries.data.length > 0 && (
            <table className="table" aria-label="Last deliveries">
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Delivery</th>
                  <th scope="col">Status</th>
                  <th scope="col">Run</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.data.map((d) => (
                  <tr key={d.id}>
                    <td className="nowrap">{formatTime(d.received_at)}</td>
                    <td className="mono small">{d.delivery_id}</td>
                    <td>
                      <Badge group={OUTCOME_GROUP[d.status]}>{d.status}</Badge>
                    </td>
                    <td className="mono small">{d.job_id ? <Link to={`/runs/${d.job_id}`}>{d.job_id}</Link> : "—"}</td>
                    <td className="small">{d.error ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
