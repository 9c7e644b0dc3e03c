/** Minting a share link to a job's report: only the digest of its secret is stored. */
import type { Db } from "../../db/client.js";
import { reportShares } from "../../db/schema.js";
import { newId } from "../../lib/ids.js";

export function createShare(db: Db, jobId: string, digest: string, expiresAt: string, now: string): void {
  db.insert(reportShares).values({ id: newId(), jobId, digest, expiresAt, insertedAt: now }).run();
}
