/**
 * keysetPage over a real SQLite database with the real migrations, on a scratch table: every walk
 * (ascending, descending, nullable key with ties, serial ids) visits each row once, in the order
 * one ORDER BY over the whole table gives.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, desc, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { openDb, type Db } from "../src/db/client.js";
import { ApiError } from "../src/errors.js";
import { encodeCursor, keysetPage, type Keyset, type PageClauses } from "../src/lib/cursor.js";

const rowsTable = sqliteTable("keyset_rows", { id: text("id").primaryKey(), k: text("k") });
const serialTable = sqliteTable("keyset_serial", { id: integer("id").primaryKey() });
type Row = typeof rowsTable.$inferSelect;

let dir: string;
let db: Db;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "outpost-cursor-"));
  db = openDb(join(dir, "outpost.db"));
  db.$client.exec(`create table keyset_rows (id text primary key, k text); create table keyset_serial (id integer primary key)`);
  // Ties on k, and nulls, so the id tie-breaker and the null ordering both matter.
  const keys = ["b", "a", null, "c", "a", null, "b", "b", "d", null, "a"];
  keys.forEach((k, i) => db.insert(rowsTable).values({ id: `r${String(i).padStart(2, "0")}`, k }).run());
  for (let id = 1; id <= 9; id++) db.insert(serialTable).values({ id }).run();
});
afterAll(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

function walk<R extends { id: string | number }>(k: Keyset<R>, query: (page: PageClauses) => R[]): { ids: (string | number)[]; pages: number } {
  const ids: (string | number)[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = keysetPage(db, { ...k, cursor }, query);
    ids.push(...page.rows.map((r) => r.id));
    cursor = page.next ?? undefined;
    pages++;
  } while (cursor && pages < 50);
  return { ids, pages };
}

const selectRows = (page: PageClauses): Row[] => db.select().from(rowsTable).where(page.after).orderBy(...page.orderBy).limit(page.limit).all();

describe("keysetPage", () => {
  for (const order of ["asc", "desc"] as const) {
    it(`walks a nullable key with ties ${order}, each row once, nulls last, ties by id`, () => {
      const expected = db
        .select()
        .from(rowsTable)
        .orderBy(sql`${rowsTable.k} is null`, order === "asc" ? asc(rowsTable.k) : desc(rowsTable.k), asc(rowsTable.id))
        .all()
        .map((r) => r.id);
      for (const limit of [1, 2, 3, 11, 50]) {
        const { ids, pages } = walk({ column: rowsTable.k, idColumn: rowsTable.id, order, limit, nullable: true, keyOf: (r: Row) => r.k }, selectRows);
        expect(ids, `limit ${limit}`).toEqual(expected);
        expect(pages, `limit ${limit}`).toBe(Math.max(1, Math.ceil(expected.length / limit)));
      }
    });

    it(`walks serial ids ${order}, the id its own key`, () => {
      const { ids } = walk({ serial: serialTable.id, order, limit: 2 }, (page) => db.select().from(serialTable).where(page.after).orderBy(...page.orderBy).limit(page.limit).all());
      const all = [1, 2, 3, 4, 5, 6, 7, 8, 9];
      expect(ids).toEqual(order === "asc" ? all : all.reverse());
    });
  }

  it("answers no next cursor on the last page, however full", () => {
    const page = keysetPage(db, { column: rowsTable.id, idColumn: rowsTable.id, order: "asc", limit: 11, keyOf: (r: Row) => r.id }, selectRows);
    expect(page.rows).toHaveLength(11);
    expect(page.next).toBeNull();
  });

  it("refuses a serial cursor whose key is not an integer with 422 naming cursor", () => {
    const cursor = encodeCursor(db, "2026-01-01T00:00:00.000Z", "x");
    let error: unknown;
    try {
      keysetPage(db, { serial: serialTable.id, order: "asc", limit: 2, cursor }, (page) => db.select().from(serialTable).where(page.after).limit(page.limit).all());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).errors?.[0]?.path).toBe("cursor");
  });
});
