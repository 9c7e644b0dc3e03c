/**
 * The system user the service runs as: `outpost-agent`, no login, no home of its own, in the
 * docker group (its only privilege: the Docker socket). Created with the distribution's useradd.
 */
import { spawnSync } from "node:child_process";
import { SERVICE_DATA_DIR, SERVICE_USER } from "./paths.js";

type Out = { out: (line: string) => void; err: (line: string) => void };

function run(cmd: string, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error?.message ?? ""}`.trim() };
}

/** uid and gid of name, or null when there is no such user. */
export function userIds(name: string): { uid: number; gid: number } | null {
  const uid = run("id", ["-u", name]);
  const gid = run("id", ["-g", name]);
  return uid.ok && gid.ok ? { uid: Number(uid.output), gid: Number(gid.output) } : null;
}

/** Creates the service user (and the docker group if Docker has not yet) unless it exists; throws on failure. */
export function ensureServiceUser(io: Out): void {
  if (!run("getent", ["group", "docker"]).ok) {
    const g = run("groupadd", ["--system", "docker"]);
    if (!g.ok) throw new Error(`groupadd --system docker failed: ${g.output}`);
  }
  if (userIds(SERVICE_USER)) {
    const m = run("usermod", ["--append", "--groups", "docker", SERVICE_USER]);
    if (!m.ok) throw new Error(`usermod --append --groups docker ${SERVICE_USER} failed: ${m.output}`);
    return;
  }
  const args = ["--system", "--user-group", "--groups", "docker", "--home-dir", SERVICE_DATA_DIR, "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER];
  const u = run("useradd", args);
  if (!u.ok) throw new Error(`useradd ${args.join(" ")} failed: ${u.output}`);
  io.out(`created system user ${SERVICE_USER} (group docker)`);
}

/** chown -R each path to the service user, so the unit (which runs as that user) can read and write it. */
export function giveToServiceUser(paths: string[]): void {
  for (const p of paths) {
    const r = run("chown", ["-R", `${SERVICE_USER}:${SERVICE_USER}`, p]);
    if (!r.ok) throw new Error(`chown -R ${SERVICE_USER}: ${p} failed: ${r.output}`);
  }
}
