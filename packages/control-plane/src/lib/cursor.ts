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
import { and, asc, desc, gt, isNull, lt, or, sql, type SQL, type AnyColumn } from "drizzle-orm";
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
 * The ORDER BY of a keyset page: the key in `order`, then the id ascending (ties in the same order
 * both ways). A nullable key sorts NULLs last: descending that is SQLite's own order, so only an
 * ascending nullable key needs the "is null" term. The list indexes are built to match:
 * (..., key, id) walks ascending pages, (..., key desc, id) descending ones.
 */
function keysetOrder(column: AnyColumn | SQL, idColumn: AnyColumn, order: "asc" | "desc", nullable = false): SQL[] {
  if (order === "desc") return [desc(column), asc(idColumn)];
  return [...(nullable ? [sql`${column} is null`] : []), asc(column), asc(idColumn)];
}

/** Rows after (key, id) in the order keysetOrder gives. */
function afterCursor(db: Db, column: AnyColumn | SQL, idColumn: AnyColumn, cursor: string | undefined, order: "asc" | "desc", nullable = false): SQL | undefined {
  if (!cursor) return undefined;
  const { key, id } = decodeCursor(db, cursor);
  if (key === null) return and(isNull(column), gt(idColumn, id));
  const beyond = order === "asc" ? sql`${column} > ${key}` : sql`${column} < ${key}`;
  return or(beyond, and(sql`${column} = ${key}`, gt(idColumn, id)), nullable ? isNull(column) : undefined);
}

/**
 * What a paginated list states once: its sort key (a column or an expression, `keyOf` reading the
 * same key off a row for the next cursor) with the row id as the tie-breaker, or `serial`, an
 * integer id that is its own key (history rows). A serial cursor whose key is not an integer was
 * not issued here: 422 naming `cursor`.
 */
export type Keyset<Row> = { order: "asc" | "desc"; cursor?: string; limit: number } & (
  | { column: AnyColumn | SQL; idColumn: AnyColumn; nullable?: boolean; keyOf: (row: Row) => CursorValue }
  | { serial: AnyColumn }
);

/** The clauses `keysetPage` hands its query: the rows after the cursor, their order, one row more than the page. */
export type PageClauses = { after: SQL | undefined; orderBy: SQL[]; limit: number };

/**
 * One page of a keyset list. `query` runs the list's own SELECT with `after` in its WHERE and
 * `orderBy`/`limit` as given; the extra row it returns past `limit` says a next page exists.
 */
export function keysetPage<Row extends { id: string | number }>(db: Db, k: Keyset<NoInfer<Row>>, query: (page: PageClauses) => Row[]): { rows: Row[]; next: string | null } {
  const rows = query({ ...clausesOf(db, k), limit: k.limit + 1 });
  const page = rows.slice(0, k.limit);
  const last = page[page.length - 1];
  if (rows.length <= k.limit || !last) return { rows: page, next: null };
  return { rows: page, next: encodeCursor(db, "serial" in k ? (last.id as number) : k.keyOf(last), String(last.id)) };
}

function clausesOf<Row>(db: Db, k: Keyset<Row>): Omit<PageClauses, "limit"> {
  if (!("serial" in k)) {
    return { after: afterCursor(db, k.column, k.idColumn, k.cursor, k.order, k.nullable), orderBy: keysetOrder(k.column, k.idColumn, k.order, k.nullable) };
  }
  const orderBy = [k.order === "asc" ? asc(k.serial) : desc(k.serial)];
  if (!k.cursor) return { after: undefined, orderBy };
  const { key } = decodeCursor(db, k.cursor);
  if (typeof key !== "number" || !Number.isSafeInteger(key)) throw forgedCursor(k.cursor);
  return { after: k.order === "asc" ? gt(k.serial, key) : lt(k.serial, key), orderBy };
}

/**
 * `column IN (ids)`, as an equality when there is one id: SQLite does not treat a one-element IN
 * as `=`, and only an equality lets the list indexes deliver rows already in page order.
 */
export function inIds(column: AnyColumn, ids: string[]): SQL {
  return ids.length === 1 ? sql`${column} = ${ids[0]}` : sql`${column} in ${ids}`;
}
