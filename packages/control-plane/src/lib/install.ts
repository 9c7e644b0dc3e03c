import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { settings } from "../db/schema.js";

/** The per-install HMAC key for token digests: made once, kept in the database. */
export function ensureInstallSecret(db: Db): string {
  const row = db.select().from(settings).where(eq(settings.key, "install_secret")).get();
  if (row) return row.value;
  const value = randomBytes(32).toString("hex");
  db.insert(settings).values({ key: "install_secret", value }).onConflictDoNothing().run();
  return db.select().from(settings).where(eq(settings.key, "install_secret")).get()!.value;
}
