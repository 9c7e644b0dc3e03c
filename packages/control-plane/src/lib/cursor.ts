/**
 * Keyset pagination. A cursor holds the sort key and id of the last row of a page; the next page
 * starts strictly after it, so the order is stable across pages even while rows are added.
 */
import { and, gt, isNull, or, sql, type SQL, type AnyColumn } from "drizzle-orm";
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
 * Rows after (key, id) in `order`, NULL keys sorting last in both directions (as the ORDER BY
 * built by orderByKeyset does).
 */
export function afterCursor(column: AnyColumn | SQL, idColumn: AnyColumn, cursor: string | undefined, order: "asc" | "desc"): SQL | undefined {
  if (!cursor) return undefined;
  const { key, id } = decodeCursor(cursor);
  if (key === null) return and(isNull(column), gt(idColumn, id));
  const beyond = order === "asc" ? sql`${column} > ${key}` : sql`${column} < ${key}`;
  return or(beyond, and(sql`${column} = ${key}`, gt(idColumn, id)), isNull(column));
}
