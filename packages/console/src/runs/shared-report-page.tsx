/** /shared/reports/:secret: a report opened from a share link, read-only and without signing in. */
import { useEffect, useState } from "react";
import type { JobReport } from "../api/types";
import { formatTime } from "../components/format";
import { ErrorState, Loading } from "../components/states";
import { ReportBody } from "./run-report";

export function SharedReportPage({ secret }: { secret: string }) {
  const [report, setReport] = useState<JobReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fetch(`/api/v1/shared/reports/${encodeURIComponent(secret)}`, { headers: { accept: "application/json" } })
      .then(async (res) => {
        const json = (await res.json().catch(() => ({}))) as { details?: JobReport; message?: string };
        if (!res.ok || !json.details) throw new Error(json.message ?? `The server answered ${res.status}.`);
        setReport(json.details);
      })
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [secret]);
  return (
    <main className="page shared-report" aria-labelledby="shared-report-title">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ◆
        </span>{" "}
        Outpost
      </div>
      <h1 id="shared-report-title">Shared run report</h1>
      {error && <ErrorState message={error} />}
      {!report && !error && <Loading label="Loading report…" />}
      {report && (
        <>
          <p className="muted">
            Run <span className="mono">{report.job_id}</span> · updated {formatTime(report.updated_at)} · read-only link
          </p>
          <article className="report">
            <ReportBody report={report} />
          </article>
        </>
      )}
    </main>
  );
}
