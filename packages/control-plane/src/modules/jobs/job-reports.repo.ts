/** Reading a job's report and the share links to it. Minting a link is in job-reports.service.ts. */
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { jobReports, reportShares } from "../../db/schema.js";
import { ApiError } from "../../errors.js";

/** The job's report in the API shape; a job without one is a 404. */
export function reportOf(db: Db, jobId: string) {
  const r = db.select().from(jobReports).where(eq(jobReports.jobId, jobId)).get();
  if (!r) throw new ApiError("not_found", `Job ${jobId} has no report.`);
  return { job_id: jobId, json: r.json === null ? null : (JSON.parse(r.json) as unknown), markdown: r.markdown, updated_at: r.updatedAt };
}

/** The share link stored under this digest of its secret, if any (expired ones too: the caller checks). */
export function findShare(db: Db, digest: string) {
  return db.select().from(reportShares).where(eq(reportShares.digest, digest)).get();
}
