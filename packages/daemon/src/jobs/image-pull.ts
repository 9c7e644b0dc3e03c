/**
 * A job whose image is not on the host: pulled before its container is created, in the open. The
 * job's log says `Pulling image ...` with Docker's progress (at most one line per layer and status
 * every PROGRESS_EVERY_MS), the run detail shows the PULLING_STEP step as running (the job's
 * `pulling` phase), and the pull has its own limit (`--pull-timeout`): the job's timeout starts
 * only with its container.
 */
import { PULLING_STEP, type StepUpdate } from "@outpost/shared";
import type { ContainerRuntime, PullProgress } from "../runtime/types.js";
import { RuntimeError } from "../runtime/types.js";

export const PROGRESS_EVERY_MS = 1000;

/** "a1b2c3: Downloading [==>   ] 1.2MB/4MB", or the bare status for image-level events. */
export function describePull(p: PullProgress): string {
  return [p.id ? `${p.id}:` : "", p.status, p.progress ?? ""].filter(Boolean).join(" ");
}

export type PullSink = { note: (line: string) => void; step: (s: StepUpdate) => void };

/** Pulls `image` unless present, telling `sink`; throws RuntimeError("image") on failure or past `limitS`. */
export async function pullForJob(runtime: ContainerRuntime, image: string, limitS: number, sink: PullSink, clock = () => performance.now()): Promise<void> {
  if (await runtime.hasImage(image)) return;
  const began = clock();
  sink.note(`Pulling image ${image} ...`);
  sink.step({ name: PULLING_STEP, status: "running", output: image });
  const lastOf = new Map<string, { status: string; at: number }>();
  const onProgress = (p: PullProgress) => {
    const key = p.id ?? "";
    const now = clock();
    const last = lastOf.get(key);
    if (last && last.status === p.status && now - last.at < PROGRESS_EVERY_MS) return;
    lastOf.set(key, { status: p.status, at: now });
    sink.note(`  ${describePull(p)}`);
  };
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RuntimeError("image", `pulling ${image} took longer than ${limitS} s (the agent's --pull-timeout)`)), limitS * 1000);
  });
  try {
    await Promise.race([runtime.pullImage(image, onProgress), limit]);
  } catch (err) {
    const message = (err as Error).message;
    sink.note(`Pulling image ${image} failed: ${message}`);
    sink.step({ name: PULLING_STEP, status: "failed", output: message.slice(0, 500) });
    throw err instanceof RuntimeError ? err : new RuntimeError("image", message);
  } finally {
    clearTimeout(timer);
  }
  const seconds = Math.round((clock() - began) / 100) / 10;
  sink.note(`Pulled image ${image} in ${seconds} s`);
  sink.step({ name: PULLING_STEP, status: "completed", output: `${image} in ${seconds} s` });
}
