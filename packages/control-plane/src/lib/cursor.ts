/**
 * Keyset pagination. A cursor holds the sort key and id of the last row of a page; the next page
 * starts strictly after it, so the order is stable across pages even while rows are added.
 *
 * Cursors are tamper-evident: `base64url(JSON [key, id]) "." base64url(HMAC-SHA256)`, keyed by a
 * key derived from the install secret (so they survive restarts but not another install). A
 * cursor whose MAC does not verify, including one re-encoded by hand, is a 422 naming `cursor`
 * before anything reads its contents.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { and, gt, isNull, or, sql, type SQL, type AnyColumn } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { ApiError } from "../errors.js";
import { ensureInstallSecret } from "./install.js";

export type CursorValue = string | number | null;

const MAC_BYTES = 16;
const keys = new WeakMap<object, Buffer>();

function cursorKey(db: Db): Buffer {
  let key = keys.get(db.$client);
  if (!key) {
    key = createHmac("sha256", ensureInstallSecret(db)).update("outpost.cursor.v1").digest();
    keys.set(db.$client, key);
  }
  return key;
}

function macOf(db: Db, payload: string): Buffer {
  return createHmac("sha256", cursorKey(db)).update(payload).digest().subarray(0, MAC_BYTES);
}

export function encodeCursor(db: Db, key: CursorValue, id: string): string {
  const payload = Buffer.from(JSON.stringify([key, id])).toString("base64url");
  return `${payload}.${macOf(db, payload).toString("base64url")}`;
}

export function forgedCursor(cursor: string): ApiError {
  return ApiError.validation([{ path: "cursor", message: `cursor ${JSON.stringify(cursor.slice(0, 40))} is not a cursor this server issued` }]);
}

export function decodeCursor(db: Db, cursor: string): { key: CursorValue; id: string } {
  const [payload, mac, ...rest] = cursor.split(".");
  const given = Buffer.from(mac ?? "", "base64url");
  if (rest.length || !payload || given.length !== MAC_BYTES || !timingSafeEqual(given, macOf(db, payload))) throw forgedCursor(cursor);
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      (typeof parsed[0] === "string" || typeof parsed[0] === "number" || parsed[0] === null) &&
      typeof parsed[1] === "string"
    ) {
      return { key: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw forgedCursor(cursor);
}

/**
 * Rows after (key, id) in `order`, NULL keys sorting last in both directions (as the ORDER BY
 * built by orderByKeyset does).
 */
export function afterCursor(db: Db, column: AnyColumn | SQL, idColumn: AnyColumn, cursor: string | undefined, order: "asc" | "desc"): SQL | undefined {
  if (!cursor) return undefined;
  const { key, id } = decodeCursor(db, cursor);
  if (key === null) return and(isNull(column), gt(idColumn, id));
  const beyond = order === "asc" ? sql`${column} > ${key}` : sql`${column} < ${key}`;
  return or(beyond, and(sql`${column} = ${key}`, gt(idColumn, id)), isNull(column));
}
