/**
 * Keyset pagination. A cursor holds the sort key and id of the last row of a page; the next page
 * starts strictly after it, so the order is stable across pages even while rows are added.
 */
import { and, asc, desc, gt, isNull, or, sql, type SQL, type AnyColumn } from "drizzle-orm";
import { ApiError } from "../errors.js";

export type CursorValue = string | number | null;

export function encodeCursor(key: CursorValue, id: string): string {
  return Buffer.from(JSON.stringify([key, id])).toString("base64url");
}

export function decodeCursor(cursor: string): { key: CursorValue; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
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
  throw ApiError.validation([{ path: "cursor", message: `cursor "${cursor.slice(0, 40)}" is not a cursor this server issued` }]);
}

/**
 * The ORDER BY of a keyset page: the key in `order`, then the id ascending (ties in the same order
 * both ways). A nullable key sorts NULLs last: descending that is SQLite's own order, so only an
 * ascending nullable key needs the "is null" term. The list indexes are built to match:
 * (..., key, id) walks ascending pages, (..., key desc, id) descending ones.
 */
export function keysetOrder(column: AnyColumn | SQL, idColumn: AnyColumn, order: "asc" | "desc", nullable = false): SQL[] {
  if (order === "desc") return [desc(column), asc(idColumn)];
  return [...(nullable ? [sql`${column} is null`] : []), asc(column), asc(idColumn)];
}

/** Rows after (key, id) in the order keysetOrder gives. */
export function afterCursor(column: AnyColumn | SQL, idColumn: AnyColumn, cursor: string | undefined, order: "asc" | "desc", nullable = false): SQL | undefined {
  if (!cursor) return undefined;
  const { key, id } = decodeCursor(cursor);
  if (key === null) return and(isNull(column), gt(idColumn, id));
  const beyond = order === "asc" ? sql`${column} > ${key}` : sql`${column} < ${key}`;
  return or(beyond, and(sql`${column} = ${key}`, gt(idColumn, id)), nullable ? isNull(column) : undefined);
}

/**
 * `column IN (ids)`, as an equality when there is one id: SQLite does not treat a one-element IN
 * as `=`, and only an equality lets the list indexes deliver rows already in page order.
 */
export function inIds(column: AnyColumn, ids: string[]): SQL {
  return ids.length === 1 ? sql`${column} = ${ids[0]}` : sql`${column} in ${ids}`;
}
