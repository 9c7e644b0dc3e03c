/** The module catalog: published module versions (immutable) and their functions. */
import { and, eq, inArray, or, sql } from "drizzle-orm";
import semver from "semver";
import type { ModuleFunction, ModuleListQuery, ModuleVersion, PublishModuleBody } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared } from "../../db/client.js";
import { agentModules, modules } from "../../db/schema.js";
import { newId } from "../../lib/ids.js";
import { keysetPage, type PageClauses } from "../../lib/cursor.js";
import { likeContains } from "../../lib/like.js";
import { ApiError } from "../../errors.js";
import { compileError, SchemaBudgetExceeded } from "../../lib/schema-checks.js";

export type ModuleRow = typeof modules.$inferSelect;

export function toModule(row: ModuleRow): ModuleVersion {
  return {
    id: row.id,
    org_id: row.orgId,
    name: row.name,
    version: row.version,
    image: row.image || null,
    description: row.description,
    functions: row.functions as ModuleFunction[],
    inserted_at: row.insertedAt,
  };
}

/** Key order must not make two equal documents differ. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * A schema that does not compile would make every job of the function fail to be created: each is
 * compiled in the schema worker (off the event loop, within its budget) before publishModule.
 */
export async function checkInputSchemas(functions: ModuleFunction[]): Promise<void> {
  for (const [i, f] of functions.entries()) {
    const path = `functions.${i}.input_schema`;
    let error: string | undefined;
    try {
      error = await compileError(f.input_schema);
    } catch (err) {
      if (!(err instanceof SchemaBudgetExceeded)) throw err;
      throw ApiError.validation([{ path, message: `compiling it ${err.message}; simplify it` }]);
    }
    if (error) throw ApiError.validation([{ path, message: `is not a valid JSON Schema: ${error}` }]);
  }
}

/** Publishes one version. The same document again is a no-op; a different one is a conflict. */
export function publishModule(db: Db, orgId: string, body: PublishModuleBody, at: string): { row: ModuleRow; created: boolean } {
  const names = new Set<string>();
  body.functions.forEach((f, i) => {
    if (names.has(f.name)) throw ApiError.validation([{ path: `functions.${i}.name`, message: `function "${f.name}" appears twice` }]);
    names.add(f.name);
  });
  const existing = db
    .select()
    .from(modules)
    .where(and(eq(modules.orgId, orgId), eq(modules.name, body.name), eq(modules.version, body.version)))
    .get();
  const image = body.image ?? ""; // stored "" for none
  const doc = { image, description: body.description, functions: body.functions };
  if (existing) {
    const same = canonical(doc) === canonical({ image: existing.image, description: existing.description, functions: existing.functions });
    if (!same) throw ApiError.conflict(`Module ${body.name}@${body.version} is already published with different content; publish a new version.`);
    return { row: existing, created: false };
  }
  const id = newId();
  db.insert(modules).values({ id, orgId, name: body.name, version: body.version, image, description: body.description, functions: body.functions, insertedAt: at }).run();
  return { row: db.select().from(modules).where(eq(modules.id, id)).get()!, created: true };
}

export function moduleVersions(db: Db, orgId: string, name: string): ModuleRow[] {
  return db.select().from(modules).where(and(eq(modules.orgId, orgId), eq(modules.name, name))).all();
}

/** What creating and dispatching a job needs of a published version; image "" when the module has none. */
export type PublishedVersion = { id: string; name: string; version: string; image: string; functions: ModuleFunction[] };

/** The image a function runs in: its own, else its module's; null when its agent's container profile decides. */
export function functionImage(mod: Pick<PublishedVersion, "image">, fn: ModuleFunction): string | null {
  return fn.image ?? (mod.image || null);
}

/**
 * Published versions by connection and (org, name, version). A version is immutable once published
 * (publishModule never rewrites one), so each is read and parsed once: job creation and every
 * claim look it up.
 */
const published = new WeakMap<Db["$client"], Map<string, PublishedVersion>>();

export function publishedVersion(db: Db, orgId: string, name: string, version: string): PublishedVersion | undefined {
  let byKey = published.get(db.$client);
  if (!byKey) published.set(db.$client, (byKey = new Map()));
  const key = `${orgId}\0${name}\0${version}`;
  let entry = byKey.get(key);
  if (entry) return entry;
  const row = prepared(db, `select "id", "name", "version", "image", "functions" from "modules" where "org_id" = ? and "name" = ? and "version" = ?`).get(orgId, name, version) as
    | { id: string; name: string; version: string; image: string; functions: string }
    | undefined;
  if (!row) return undefined;
  byKey.set(key, (entry = { ...row, functions: JSON.parse(row.functions) as ModuleFunction[] }));
  return entry;
}

/** Chosen versions by spec and the published versions they were chosen from (a pure function of both). */
const picks = new Map<string, string | null>();
const MAX_PICKS = 1024;

/** The exact version when published, else the highest version satisfying the range (default: the latest). */
function pickVersion(versions: string[], spec: string | undefined): string | null {
  if (spec && versions.includes(spec)) return spec;
  // NUL cannot occur in a spec that got here (createJob refuses an invalid range) nor in a version.
  const key = `${spec ?? "*"}\0${versions.join(",")}`;
  let chosen = picks.get(key);
  if (chosen === undefined) {
    if (picks.size >= MAX_PICKS) picks.clear();
    picks.set(key, (chosen = semver.maxSatisfying(versions, spec ?? "*", { includePrerelease: false })));
  }
  return chosen;
}

/** The published version an exact version or a range picks (default: the latest). */
export function resolveModuleVersion(db: Db, orgId: string, name: string, spec: string | undefined): PublishedVersion | undefined {
  const versions = prepared(db, `select "version" from "modules" where "org_id" = ? and "name" = ?`).pluck().all(orgId, name) as string[];
  const chosen = pickVersion(versions, spec);
  return chosen ? publishedVersion(db, orgId, name, chosen) : undefined;
}

export function isValidRange(spec: string): boolean {
  return semver.validRange(spec) !== null;
}

/** An agent's installed modules resolved to catalog functions: the "Modules & Functions" tab. */
export function agentModulesWithFunctions(db: Db, orgId: string, agentId: string) {
  const installed = db.select().from(agentModules).where(eq(agentModules.agentId, agentId)).orderBy(agentModules.name).all();
  const names = [...new Set(installed.map((m) => m.name))];
  const catalog = names.length ? db.select().from(modules).where(and(eq(modules.orgId, orgId), inArray(modules.name, names))).all() : [];
  return installed.map((m) => {
    const entry = catalog.find((c) => c.name === m.name && c.version === m.version);
    const fns = (entry?.functions ?? []) as ModuleFunction[];
    return {
      name: m.name,
      version: m.version,
      installed_at: m.installedAt,
      in_catalog: Boolean(entry),
      functions: fns.map((f) => ({ name: f.name, display_name: f.display_name })),
    };
  });
}

/** The published versions of the given orgs, filtered, a keyset page at a time (by name@version or by age). */
export function listModules(db: Db, orgIds: string[], q: ModuleListQuery) {
  const byName = q.sort === "name";
  const column = byName ? sql`${modules.name} || '@' || ${modules.version}` : modules.insertedAt;
  const keyset = { column, idColumn: modules.id, order: q.order, cursor: q.cursor, limit: q.limit, keyOf: (r: ModuleRow) => (byName ? `${r.name}@${r.version}` : r.insertedAt) };
  const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
    db
      .select()
      .from(modules)
      .where(
        and(
          inArray(modules.orgId, orgIds),
          q.name ? eq(modules.name, q.name) : undefined,
          q.q ? or(likeContains(modules.name, q.q), likeContains(modules.description, q.q)) : undefined,
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit)
      .all(),
  );
  return { items: rows.map(toModule), next };
}

export function findModuleVersion(db: Db, orgIds: string[], name: string, version: string): ModuleRow | undefined {
  return db
    .select()
    .from(modules)
    .where(and(inArray(modules.orgId, orgIds), eq(modules.name, name), eq(modules.version, version)))
    .get();
}
