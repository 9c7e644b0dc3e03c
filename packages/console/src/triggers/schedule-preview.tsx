/**
 * What a cron expression means: a human description (cronstrue, in the browser) and the next five
 * firings as the server computes them (GET /triggers/schedule-preview, croner in the zone), so the
 * dialog shows exactly what the schedule loop will do, in the schedule's zone. Asked again 300 ms
 * after typing stops.
 */
import { useEffect, useState } from "react";
import cronstrue from "cronstrue";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { formatTime } from "../components/format";

/** "At 02:00 AM", or null when cronstrue cannot read the expression (the server's 422 says why). */
export function describeCron(cron: string): string | null {
  try {
    return cronstrue.toString(cron, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return null;
  }
}

/** A firing time as the schedule's zone sees it ("Mon, Dec 7, 2026, 09:30"), so it reads like the description. */
export function formatInZone(iso: string, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone, weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
  } catch {
    return formatTime(iso);
  }
}

export function SchedulePreview({ cron, timezone }: { cron: string; timezone: string }) {
  const { api } = useSession();
  const zone = timezone.trim() || "UTC";
  const asked = `${cron}|${zone}`;
  // The answer is kept with the question it answers: one for an older expression is never shown.
  const [answer, setAnswer] = useState<{ asked: string; next: string[] | null; error: string | null } | null>(null);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      api
        .get<{ next_fire_times: string[] }>("/triggers/schedule-preview", { cron, timezone: zone })
        .then((d) => live && setAnswer({ asked, next: d.next_fire_times, error: null }))
        .catch((err) => live && setAnswer({ asked, next: null, error: errorText(err) }));
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, cron, zone, asked]);
  const current = answer?.asked === asked ? answer : null;
  const next = current?.next ?? null;
  const error = current?.error ?? null;
  const description = describeCron(cron);
  return (
    <section className="schedule-preview" aria-label="Schedule preview" aria-live="polite">
      <p className="cron-description">
        <strong>{description ? `${description} (${timezone || "UTC"})` : "Not a cron expression yet."}</strong>
      </p>
      {error && <p className="form-error">{error}</p>}
      {!current && <p className="muted small">Asking the server for the next firings…</p>}
      {next && (
        <>
          <p className="muted small">Next five firings ({zone}):</p>
          <ol className="next-firings mono small">
            {next.map((t) => (
              <li key={t}>{formatInZone(t, zone)}</li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
