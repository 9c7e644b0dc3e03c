/**
 * `<dataDir>/state.json`: what the running daemon says about itself, for `outpost-agent status`.
 * The daemon is the only writer. Writes are atomic (tmp + rename, so a reader never sees half a
 * file) and throttled: updates within MIN_INTERVAL_MS of the last write are coalesced into one
 * later write. An unchanged state is rewritten only every REFRESH_MS, so updated_at stays fresh
 * enough for a reader to tell a live daemon from a pid that was reused after a crash.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./fs.js";

export const STATE_FILE = "state.json";
const MIN_INTERVAL_MS = 250;
const REFRESH_MS = 10_000;

export type RunningAttempt = { job_id: string; attempt: number; container_id: string | null; started_at: string };

export type AgentState = {
  connected: boolean;
  agent_id: string;
  url: string;
  version: string;
  pid: number;
  /** When this process started. */
  since: string;
  running: RunningAttempt[];
  updated_at: string;
};

/** container_id and started_at may be unknown to the caller: started_at then defaults to when the attempt was first reported. */
export type RunningInput = { job_id: string; attempt: number; container_id?: string | null; started_at?: string };
export type StatePatch = Partial<Omit<AgentState, "running" | "updated_at">> & { running?: RunningInput[] };

export class StateFile {
  readonly path: string;
  private state: Omit<AgentState, "updated_at">;
  private lastWriteMs = -Infinity; // performance.now(): a wall-clock step never stalls or hurries writes
  private lastWritten = "";
  private timer: NodeJS.Timeout | null = null;
  private failed = false;

  constructor(
    readonly dataDir: string,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    this.path = join(dataDir, STATE_FILE);
    this.state = { connected: false, agent_id: "", url: "", version: "", pid: process.pid, since: new Date().toISOString(), running: [] };
  }

  update(patch: StatePatch): void {
    const { running, ...rest } = patch;
    this.state = { ...this.state, ...rest };
    if (running) {
      const known = new Map(this.state.running.map((r) => [`${r.job_id}/${r.attempt}`, r]));
      const now = new Date().toISOString();
      this.state.running = running.map((r) => {
        const before = known.get(`${r.job_id}/${r.attempt}`);
        return {
          job_id: r.job_id,
          attempt: r.attempt,
          container_id: r.container_id ?? before?.container_id ?? null,
          started_at: r.started_at ?? before?.started_at ?? now,
        };
      });
    }
    this.schedule();
  }

  /** Writes now (for the last word at shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.write(true);
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = this.lastWriteMs + MIN_INTERVAL_MS - performance.now();
    if (wait <= 0) return this.write(false);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.write(false);
    }, wait);
    this.timer.unref();
  }

  private write(force: boolean): void {
    const body = JSON.stringify(this.state);
    if (!force && body === this.lastWritten && performance.now() - this.lastWriteMs < REFRESH_MS) return;
    const text = `${JSON.stringify({ ...this.state, updated_at: new Date().toISOString() } satisfies AgentState, null, 2)}\n`;
    try {
      writeFileAtomic(this.path, text, { mode: 0o644, dirMode: 0o700 });
      this.lastWritten = body;
      this.lastWriteMs = performance.now();
      this.failed = false;
    } catch (err) {
      // Status is a convenience: a full disk must not stop jobs. Say so once per run of failures.
      if (!this.failed) this.onError(err as Error);
      this.failed = true;
    }
  }
}

/** The state file of a data dir, or null when there is none. Throws with the path on an unreadable or malformed file. */
export function readStateFile(dataDir: string): AgentState | null {
  const file = join(dataDir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: Partial<AgentState>;
  try {
    parsed = JSON.parse(text) as Partial<AgentState>;
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed.pid !== "number" || !Array.isArray(parsed.running)) throw new Error(`${file} is not an outpost-agent state file`);
  return parsed as AgentState;
}
