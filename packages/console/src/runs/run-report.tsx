/** The run's report inline (Markdown, else JSON), with Download and a read-only, expiring share link. */
import { useState } from "react";
import { useSession } from "../auth/session";
import { errorText } from "../api/client";
import { useLoad } from "../api/use-paged-list";
import type { JobReport } from "../api/types";
import { CopyButton } from "../components/copy-button";
import { formatTime } from "../components/format";
import { Markdown } from "../components/markdown";
import { ErrorState, Loading } from "../components/states";
import { useToast } from "../components/toast";

/** The console page a share link opens: /shared/reports/<secret> (see shared-report-page). */
export function shareUrl(apiUrl: string): string {
  const secret = apiUrl.split("/").pop() ?? "";
  return `${window.location.origin}/shared/reports/${encodeURIComponent(secret)}`;
}

export function ReportBody({ report }: { report: JobReport }) {
  return (
    <>
      {report.markdown && <Markdown source={report.markdown} />}
      {report.json !== null && report.json !== undefined && (
        <details className="report-json" open={!report.markdown}>
          <summary>Structured data (JSON)</summary>
          <pre className="code-block">{JSON.stringify(report.json, null, 2)}</pre>
        </details>
      )}
    </>
  );
}

export function RunReport({ runId, version }: { runId: string; version: string }) {
  const { api } = useSession();
  const notify = useToast();
  const report = useLoad(() => api.get<JobReport>(`/jobs/${encodeURIComponent(runId)}/report`), `${runId}:${version}`);
  const [share, setShare] = useState<{ url: string; expires_at: string } | null>(null);
  const [busy, setBusy] = useState<"share" | "download" | null>(null);

  async function createShare() {
    setBusy("share");
    try {
      const made = await api.send<{ url: string; expires_at: string }>("POST", `/jobs/${encodeURIComponent(runId)}/report/share`, {});
      setShare({ url: shareUrl(made.url), expires_at: made.expires_at });
    } catch (err) {
      notify("error", `Could not create a share link: ${errorText(err)}`);
    } finally {
      setBusy(null);
    }
  }

  async function download() {
    setBusy("download");
    try {
      const name = await api.download(`/jobs/${encodeURIComponent(runId)}/report/download`, `report-${runId}.md`);
      notify("success", `Downloaded ${name}.`);
    } catch (err) {
      notify("error", `Could not download the report: ${errorText(err)}`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="run-section" aria-labelledby="run-report-title">
      <div className="section-head">
        <h3 id="run-report-title">Report</h3>
        <span className="spacer" />
        <button type="button" className="btn btn-small" onClick={() => void createShare()} disabled={busy !== null}>
          {busy === "share" ? "Creating link…" : "Share link"}
        </button>
        <button type="button" className="btn btn-small" onClick={() => void download()} disabled={busy !== null}>
          {busy === "download" ? "Downloading…" : "Download"}
        </button>
      </div>
      {share && (
        <div className="share-box" role="status">
          <label htmlFor="share-url">Read-only link, expires {formatTime(share.expires_at)}</label>
          <div className="share-row">
            <input id="share-url" className="mono" readOnly value={share.url} onFocus={(e) => e.target.select()} />
            <CopyButton text={share.url} label="Copy share link" />
          </div>
        </div>
      )}
      {report.error && <ErrorState message={report.error} onRetry={() => report.reload()} />}
      {!report.data && !report.error && <Loading label="Loading report…" />}
      {report.data && (
        <div className="report">
          <ReportBody report={report.data} />
        </div>
      )}
    </section>
  );
}
