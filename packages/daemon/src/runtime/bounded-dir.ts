/**
 * A host directory a job writes into (its /outpost/out), bounded in size: when the agent runs as
 * root it mounts a tmpfs of `bytes` (and a few inodes) on it, owned by the job's user, mode 0700,
 * so a job that writes more gets ENOSPC and the host's disk is never touched. Docker's own tmpfs
 * mounts would vanish when the container stops, before the agent reads the report; this one lives
 * until the agent unmounts it (remove, reap, or the next run of the same attempt).
 *
 * Fallback without the privilege to mount (docs/protocol.md, "Container defaults"): a plain
 * directory, whose size is measured after the job exits; over the cap the job fails the same way,
 * but while it runs the host's disk is not protected.
 */
import { execFile } from "node:child_process";
import { lstat, readdir, stat, statfs } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Files and directories a job may create in its outputs dir (tmpfs nr_inodes). */
const MAX_INODES = 1024;

/** "1 MiB", "256 KiB", "300 B": how the cap is named in a job's failure message. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** Whether dir is a mount point (its device differs from its parent's). */
export async function isMountPoint(dir: string): Promise<boolean> {
  try {
    const [self, parent] = await Promise.all([stat(dir), stat(path.dirname(dir))]);
    return self.dev !== parent.dev;
  } catch {
    return false;
  }
}

/**
 * Mounts a tmpfs of `bytes` on dir for uid:gid. True when mounted; false when this process may not
 * mount (not root, or mount refused): the caller falls back to the plain directory.
 */
export async function mountBounded(dir: string, bytes: number, uid: number, gid: number): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  const options = `size=${bytes},nr_inodes=${MAX_INODES},uid=${uid},gid=${gid},mode=0700,nosuid,nodev,noexec`;
  try {
    await run("mount", ["-t", "tmpfs", "-o", options, "outpost-outputs", dir]);
    return true;
  } catch {
    return false;
  }
}

/** Unmounts dir if something is mounted there; safe to call on a plain or missing directory. */
export async function unmountBounded(dir: string): Promise<void> {
  if (!(await isMountPoint(dir))) return;
  // Lazy: the container is gone by now, but a stray reader must not keep the mount (and the dir) alive.
  await run("umount", ["--lazy", dir]);
}

/**
 * The failure message when the job filled (or, in the fallback, passed) its cap; undefined when it
 * stayed within. A full tmpfs means a write was refused with ENOSPC.
 */
export async function overflowOf(dir: string, bytes: number): Promise<string | undefined> {
  const message = `outputs exceeded ${formatBytes(bytes)}: the job's writes to /outpost/out were refused (ENOSPC)`;
  if (await isMountPoint(dir)) {
    const s = await statfs(dir);
    return s.bavail === 0 || s.ffree === 0 ? message : undefined;
  }
  return (await usedBytes(dir)) > bytes ? `outputs exceeded ${formatBytes(bytes)}` : undefined;
}

/** Bytes of regular files under dir, symlinks not followed. */
async function usedBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await usedBytes(p);
    else if (e.isFile()) total += (await lstat(p)).size;
  }
  return total;
}
