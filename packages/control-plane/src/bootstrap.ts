/** The root of trust: whoever holds the database file can mint tokens for anyone. */
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { TokenScope } from "@outpost/shared";
import { TOKEN_SCOPES } from "@outpost/shared";
import type { Db } from "./db/client.js";
import { ensureInstallSecret } from "./lib/install.js";
import { nowIso } from "./lib/time.js";
import { addMember, ensureOrg, ensureUser } from "./modules/orgs/orgs.service.js";
import { isEmptyInstall } from "./modules/orgs/orgs.repo.js";
import { createToken } from "./modules/tokens/tokens.service.js";
import { ApiError } from "./errors.js";

export const DEFAULT_ORG = "default";
export const ADMIN_USER = "admin";

/** On an empty database: org `default`, user `admin`, and one admin token (returned, shown once). */
export function bootstrapIfEmpty(db: Db): string | null {
  if (!isEmptyInstall(db)) return null;
  return mintToken(db, { user: ADMIN_USER, admin: true, name: "bootstrap" });
}

export type MintOptions = { user: string; admin?: boolean; org?: string; scopes?: TokenScope[]; name: string };

/** `outpost-server token create`: creates the user (and org) when missing. */
export function mintToken(db: Db, opts: MintOptions): string {
  const now = nowIso();
  const secret = ensureInstallSecret(db);
  const user = ensureUser(db, opts.user, now, opts.admin ?? false);
  const org = ensureOrg(db, opts.org ?? DEFAULT_ORG, now);
  addMember(db, org.id, user.id, opts.admin ? "admin" : "member", now);
  const scopes = opts.admin ? (["admin"] as TokenScope[]) : (opts.scopes ?? ["read", "agents:register"]);
  for (const s of scopes) {
    if (!(TOKEN_SCOPES as readonly string[]).includes(s)) throw new ApiError("bad_request", `unknown scope "${s}" (known: ${TOKEN_SCOPES.join(", ")})`);
  }
  return createToken(db, secret, { userId: user.id, name: opts.name, scopes, orgId: opts.admin ? null : opts.org ? org.id : null }, now).secret;
}

/**
 * Writes the bootstrap token to `path`, readable by its owner only (mode 0600, folder created
 * 0700): it is never printed into a log that other users could read. Written to a temporary file
 * and renamed, so nobody ever sees a wider mode or half a token. Returns the absolute path.
 */
export function writeBootstrapToken(path: string, token: string): string {
  const full = resolve(path);
  mkdirSync(dirname(full), { recursive: true, mode: 0o700 });
  const tmp = `${full}.${process.pid}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, full);
  return full;
}
