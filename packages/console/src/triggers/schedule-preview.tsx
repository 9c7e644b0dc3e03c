/**
 * What a cron expression means: a human description (cronstrue, in the browser) and the next five
 * firings as the server computes them (GET /triggers/schedule-preview, croner in the zone), so the
 * dialog shows exactly what the schedule loop will do. Asked again 300 ms after typing stops.
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

export function SchedulePreview({ cron, timezone }: { cron: string; timezone: string }) {
  const { api } = useSession();
  const [next, setNext] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      api
        .get<{ next_fire_times: string[] }>("/triggers/schedule-preview", { cron, timezone: timezone || "UTC" })
        .then((d) => live && (setNext(d.next_fire_times), setError(null)))
        .catch((err) => live && (setNext(null), setError(errorText(err))));
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api, cron, timezone]);
  const description = describeCron(cron);
  return (
    <section className="schedule-preview" aria-label="Schedule preview" aria-live="polite">
      <p className="cron-description">
        <strong>{description ? `${description} (${timezone || "UTC"})` : "Not a cron expression yet."}</strong>
      </p>
      {error && <p className="form-error">{error}</p>}
      {next && (
        <>
          <p className="muted small">Next five firings:</p>
          <ol className="next-firings mono small">
            {next.map((t) => (
              <li key={t}>{formatTime(t)}</li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
