/** Substring search with LIKE, where the user's `%`, `_` and `\` are literal characters. */
import { sql, type AnyColumn, type SQL } from "drizzle-orm";

export function likeContains(column: AnyColumn | SQL, q: string): SQL {
  // SQLite has no default LIKE escape character: the ESCAPE clause is what makes `\_` literal.
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql`${column} like ${pattern} escape '\\'`;
}
