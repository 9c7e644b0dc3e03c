/** File helpers shared by the daemon's writers (credential, state file, modules.json, service files). */
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export type WriteFileAtomicOptions = {
  /** The new file's mode (narrowed by the umask unless exactMode). */
  mode: number;
  /** Also chmod the file to `mode`, so the umask cannot narrow it. */
  exactMode?: boolean;
  /** Create missing parent directories first, with this mode. */
  dirMode?: number;
};

/**
 * Writes text to a temporary file next to path, then renames it over path: a reader never sees
 * half a file, and a crash never leaves one.
 */
export function writeFileAtomic(path: string, text: string | Uint8Array, opts: WriteFileAtomicOptions): void {
  if (opts.dirMode !== undefined) mkdirSync(dirname(path), { recursive: true, mode: opts.dirMode });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: opts.mode });
  if (opts.exactMode) chmodSync(tmp, opts.mode);
  renameSync(tmp, path);
}
