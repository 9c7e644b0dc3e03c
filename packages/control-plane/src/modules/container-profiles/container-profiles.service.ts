/** Changing container profiles: create, update, archive and restore, delete while unused. */
import { eq } from "drizzle-orm";
import type { CreateContainerProfileBody, UpdateContainerProfileBody } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { containerProfiles } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { setArchivedFlag } from "../../lib/archive.js";
import { newId } from "../../lib/ids.js";
import { profileUsers, type ProfileRow } from "./container-profiles.repo.js";

export function createProfile(db: Db, orgId: string, body: CreateContainerProfileBody, at: string): string {
  const id = newId();
  db.insert(containerProfiles).values({ id, orgId, name: body.name, dockerImage: body.docker_image, description: body.description, insertedAt: at, updatedAt: at }).run();
  return id;
}

export function updateProfile(db: Db, row: ProfileRow, body: UpdateContainerProfileBody, at: string): void {
  const { name, docker_image, description } = body;
  db.update(containerProfiles)
    .set({ ...(name !== undefined ? { name } : {}), ...(docker_image !== undefined ? { dockerImage: docker_image } : {}), ...(description !== undefined ? { description } : {}), updatedAt: at })
    .where(eq(containerProfiles.id, row.id))
    .run();
}

export function setProfileArchived(db: Db, row: ProfileRow, archived: boolean, at: string): void {
  setArchivedFlag(db, containerProfiles, row.id, archived, at, `Container profile "${row.name}"`);
}

/** A profile agents still name is a 409: an agent's container_profile_id never dangles. */
export function deleteProfile(db: Db, row: ProfileRow): void {
  const used = profileUsers(db, row.id);
  if (used > 0) throw ApiError.conflict(`Container profile "${row.name}" is used by ${used} agent${used === 1 ? "" : "s"}; archive it instead, or move the agents to another profile first.`);
  db.delete(containerProfiles).where(eq(containerProfiles.id, row.id)).run();
}
