/**
 * A run's logs. While the run is live they stream from GET /jobs/:id/logs?follow=1 (Server-Sent
 * Events: stored chunks first, then each new one, then `event: end`); a finished run's stream sends
 * what is stored and ends at once. The view sticks to the bottom unless the reader scrolled up.
 */
import { useEffect, useRef, useState } from "react";
import { useSession } from "../auth/session";
import type { LogChunk } from "../api/types";

type StreamState = "connecting" | "live" | "ended" | "error";

export function RunLogs({ runId, live }: { runId: string; live: boolean }) {
  const { api } = useSession();
  const [chunks, setChunks] = useState<LogChunk[]>([]);
  const [state, setState] = useState<StreamState>("connecting");
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    setChunks([]);
    setState("connecting");
    const source = new EventSource(`/api/v1/jobs/${encodeURIComponent(runId)}/logs?follow=1&token=${encodeURIComponent(api.token)}`);
    source.onopen = () => setState("live");
    source.onmessage = (msg) => {
      try {
        const chunk = JSON.parse(msg.data as string) as LogChunk;
        setChunks((prev) => (prev.some((c) => c.attempt === chunk.attempt && c.seq === chunk.seq) ? prev : [...prev, chunk]));
      } catch {
        // Not a log chunk: ignore it.
      }
    };
    source.addEventListener("end", () => {
      source.close();
      setState("ended");
    });
    source.onerror = () => {
      // The run was deleted or the token ended: stop instead of reconnecting forever.
      if (source.readyState === EventSource.CLOSED) setState("error");
    };
    return () => source.close();
    // `live` flips when the run finishes; the open stream ends by itself then, so it is not a dependency.
  }, [runId, api.token]);

  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [chunks]);

  const streaming = live && state === "live";
  let lastAttempt = 0;
  return (
    <section className="run-section" aria-labelledby="run-logs-title">
      <div className="section-head">
        <h3 id="run-logs-title">Logs</h3>
        <span className={`live-dot${streaming ? " on" : ""}`} aria-live="polite">
          {streaming ? "Live" : state === "error" ? "Log stream unavailable" : state === "connecting" ? "Connecting…" : ""}
        </span>
      </div>
      <pre
        ref={box}
        className="log-view"
        tabIndex={0}
        aria-label="Run logs"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {chunks.length === 0 ? (
          <span className="muted">{live ? "Waiting for output…" : state === "ended" ? "This run wrote no output." : "Loading logs…"}</span>
        ) : (
          chunks.map((c) => {
            const header = c.attempt !== lastAttempt;
            lastAttempt = c.attempt;
            return (
              <span key={`${c.attempt}:${c.seq}`}>
                {header && <span className="log-attempt">── attempt {c.attempt} ──{"\n"}</span>}
                <span className={`log-${c.stream}`}>{c.data}</span>
              </span>
            );
          })
        )}
      </pre>
    </section>
  );
}
