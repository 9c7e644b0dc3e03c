/**
 * Container profiles: an org resource naming the Docker image an agent's jobs run in when their
 * module function names none. Archived rather than deleted while agents use them: DELETE answers
 * 409 then, so an agent's container_profile_id never dangles.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import {
  ContainerProfileListQuery,
  ContainerProfileListResponse,
  ContainerProfileResponse,
  CreateContainerProfileBody,
  Id,
  OkDetails,
  UpdateContainerProfileBody,
  type ContainerProfile,
} from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { agents, containerProfiles } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { userOf, type UserPrincipal } from "../../plugins/auth.js";
import { assertVisible, orgFilter, targetOrg } from "../../lib/org-scope.js";
import { keysetPage, type PageClauses } from "../../lib/cursor.js";
import { newId } from "../../lib/ids.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { successBody } from "../../lib/reply.js";

type Row = typeof containerProfiles.$inferSelect;
const Params = z.object({ id: Id });

function toProfiles(db: Db, rows: Row[]): ContainerProfile[] {
  const ids = rows.map((r) => r.id);
  const counts = new Map(
    ids.length
      ? db
          .select({ id: agents.containerProfileId, n: sql<number>`count(*)` })
          .from(agents)
          .where(inArray(agents.containerProfileId, ids))
          .groupBy(agents.containerProfileId)
          .all()
          .map((r) => [r.id!, r.n] as const)
      : [],
  );
  return rows.map((r) => ({
    id: r.id,
    org_id: r.orgId,
    name: r.name,
    docker_image: r.dockerImage,
    description: r.description,
    archived: r.archived,
    archived_at: r.archivedAt,
    agent_count: counts.get(r.id) ?? 0,
    created_at: r.insertedAt,
    updated_at: r.updatedAt,
  }));
}

export async function containerProfileRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const read = (id: string) => db.select().from(containerProfiles).where(eq(containerProfiles.id, id)).get();
  const getProfile = (p: UserPrincipal, id: string) => assertVisible(p, read(id), "container profile", id);
  const one = (id: string) => successBody(toProfiles(db, [read(id)!])[0]!);
  const changed = (id: string, orgId: string) => deps.events.publish({ type: "container_profile.updated", id, org_id: orgId });
  const tags = ["container-profiles"];

  app.post(
    "/api/v1/container-profiles",
    { onRequest: app.auth("agents:write"), schema: { tags, body: CreateContainerProfileBody, response: { 201: ContainerProfileResponse } } },
    async (req, reply) => {
      const orgId = targetOrg(db, userOf(req), req.body.org);
      const at = nowIso(deps.clock);
      const id = newId();
      const { name, docker_image, description } = req.body;
      db.insert(containerProfiles).values({ id, orgId, name, dockerImage: docker_image, description, insertedAt: at, updatedAt: at }).run();
      changed(id, orgId);
      return reply.code(201).send(one(id));
    },
  );

  app.get("/api/v1/container-profiles", { onRequest: app.auth("read"), schema: { tags, querystring: ContainerProfileListQuery, response: { 200: ContainerProfileListResponse } } }, async (req) => {
    const q = req.query;
    const byName = q.sort === "name";
    const keyset = { column: byName ? containerProfiles.name : containerProfiles.insertedAt, idColumn: containerProfiles.id, order: q.order, cursor: q.cursor, limit: q.limit, keyOf: (r: Row) => (byName ? r.name : r.insertedAt) };
    const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
      db
        .select()
        .from(containerProfiles)
        .where(
          and(
            inArray(containerProfiles.orgId, orgFilter(db, userOf(req), q.org)),
            q.archived === "all" ? undefined : eq(containerProfiles.archived, q.archived === "archived"),
            page.after,
          ),
        )
        .orderBy(...page.orderBy)
        .limit(page.limit)
        .all(),
    );
    return successBody(toProfiles(db, rows), { next_cursor: next });
  });

  app.get("/api/v1/container-profiles/:id", { onRequest: app.auth("read"), schema: { tags, params: Params, response: { 200: ContainerProfileResponse } } }, async (req) => {
    return one(getProfile(userOf(req), req.params.id).id);
  });

  app.patch(
    "/api/v1/container-profiles/:id",
    { onRequest: app.auth("agents:write"), schema: { tags, params: Params, body: UpdateContainerProfileBody, response: { 200: ContainerProfileResponse } } },
    async (req) => {
      const row = getProfile(userOf(req), req.params.id);
      const { name, docker_image, description } = req.body;
      db.update(containerProfiles)
        .set({ ...(name !== undefined ? { name } : {}), ...(docker_image !== undefined ? { dockerImage: docker_image } : {}), ...(description !== undefined ? { description } : {}), updatedAt: nowIso(deps.clock) })
        .where(eq(containerProfiles.id, row.id))
        .run();
      changed(row.id, row.orgId);
      return one(row.id);
    },
  );

  for (const [action, archived] of [["archive", true], ["restore", false]] as const) {
    app.post(
      `/api/v1/container-profiles/:id/${action}`,
      { onRequest: app.auth("agents:write"), schema: { tags, params: Params, response: { 200: ContainerProfileResponse } } },
      async (req) => {
        const row = getProfile(userOf(req), req.params.id);
        const at = nowIso(deps.clock);
        const n = db
          .update(containerProfiles)
          .set({ archived, archivedAt: archived ? at : null, updatedAt: at })
          .where(and(eq(containerProfiles.id, row.id), eq(containerProfiles.archived, !archived)))
          .run().changes;
        if (!n) throw ApiError.conflict(`Container profile "${row.name}" is ${archived ? "already archived" : "not archived"}.`);
        changed(row.id, row.orgId);
        return one(row.id);
      },
    );
  }

  app.delete("/api/v1/container-profiles/:id", { onRequest: app.auth("agents:write"), schema: { tags, params: Params, response: { 200: OkDetails } } }, async (req) => {
    const row = getProfile(userOf(req), req.params.id);
    const used = db.select({ n: sql<number>`count(*)` }).from(agents).where(eq(agents.containerProfileId, row.id)).get()!.n;
    if (used > 0) throw ApiError.conflict(`Container profile "${row.name}" is used by ${used} agent${used === 1 ? "" : "s"}; archive it instead, or move the agents to another profile first.`);
    db.delete(containerProfiles).where(eq(containerProfiles.id, row.id)).run();
    changed(row.id, row.orgId);
    return successBody({ ok: true as const });
  });
}
