/**
 * The modules this agent can run: those the server installed over the session, kept in
 * `<dataDir>/modules.json`, plus the `--module` flags of this start (docs/protocol.md, `module`).
 * A module in modules.json wins over a flag of the same name, so an update from the server
 * survives a restart with the old flag; a removed flag module comes back with the flag.
 *
 * Requests run one at a time, in arrival order. Install pulls the image with progress (at most one
 * `module_progress` per PROGRESS_EVERY_MS), then records the module; remove forgets it (the image
 * stays in Docker's cache: other modules may share it). Every request ends with one
 * `module_result`; a result that cannot be sent (session down) is kept and sent after the next
 * `welcome`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { ModuleRef, PROTOCOL_VERSION, type AgentFrame, type ModuleFrame } from "@outpost/shared";
import { writeFileAtomic } from "./host/fs.js";
import type { ContainerRuntime } from "./runtime/types.js";
import { describePull } from "./jobs/image-pull.js";

export const MODULES_FILE = "modules.json";
/** At most 2 progress frames a second per request. */
export const PROGRESS_EVERY_MS = 500;

const InstalledModule = ModuleRef.extend({ image: z.string(), installed_at: z.string() });
export type InstalledModule = z.infer<typeof InstalledModule>;
const ModulesFile = z.object({ modules: z.array(InstalledModule) });

type ResultFrame = Extract<AgentFrame, { type: "module_result" }>;

export type ModuleManagerOptions = {
  dataDir: string;
  runtime: ContainerRuntime;
  log: Logger;
  /** The --module flags of this start (already checked against the catalog and local images). */
  flags: ModuleRef[];
  /** Sends a frame; false when the session is down. */
  send: (f: AgentFrame) => boolean;
  clock?: () => number;
};

export class ModuleManager {
  private readonly installed = new Map<string, InstalledModule>();
  private readonly flags = new Map<string, ModuleRef>();
  private queue: Promise<void> = Promise.resolve();
  private unsent: ResultFrame[] = [];
  private readonly clock: () => number;

  private constructor(private readonly o: ModuleManagerOptions) {
    this.clock = o.clock ?? Date.now;
    for (const m of o.flags) this.flags.set(m.name, { name: m.name, version: m.version });
  }

  /**
   * Reads modules.json. An entry whose image is no longer on this host is dropped (with a warning)
   * rather than advertised: the agent would only refuse its jobs.
   */
  static async load(o: ModuleManagerOptions): Promise<ModuleManager> {
    const m = new ModuleManager(o);
    const file = join(o.dataDir, MODULES_FILE);
    if (!existsSync(file)) return m;
    const parsed = parseModulesFile(readFileSync(file, "utf8"));
    if ("error" in parsed) {
      o.log.warn({ file, error: parsed.error }, "modules.json is not valid; ignoring it");
      return m;
    }
    let dropped = false;
    for (const entry of parsed.modules) {
      if (!entry.image || (await o.runtime.hasImage(entry.image))) m.installed.set(entry.name, entry);
      else {
        dropped = true;
        o.log.warn({ module: entry.name, version: entry.version, image: entry.image }, "installed module's image is gone from this host; forgetting it");
      }
    }
    if (dropped) m.save();
    return m;
  }

  has(m: ModuleRef): boolean {
    return this.list().some((x) => x.name === m.name && x.version === m.version);
  }

  /** What this agent reports in registration and hello: installed modules, then flags not overridden. */
  list(): ModuleRef[] {
    const out: ModuleRef[] = [...this.installed.values()].map((m) => ({ name: m.name, version: m.version }));
    for (const f of this.flags.values()) if (!this.installed.has(f.name)) out.push(f);
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A `module` frame from the server: queued behind any request still running. */
  handle(frame: ModuleFrame): void {
    this.queue = this.queue.then(() => this.run(frame)).catch((err) => this.o.log.error({ err }, "module request failed unexpectedly"));
  }

  /** After welcome: results the last session could not carry. */
  resend(): void {
    const pending = this.unsent;
    this.unsent = [];
    for (const f of pending) this.result(f);
  }

  /** Resolves once every queued request is over (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  private async run(f: ModuleFrame): Promise<void> {
    const log = this.o.log.child({ module: f.name, version: f.version, request_id: f.request_id });
    const done = (outcome: "succeeded" | "failed", message: string) =>
      this.result({ v: PROTOCOL_VERSION, type: "module_result", request_id: f.request_id, name: f.name, version: f.version, action: f.action, outcome, message });
    if (f.action === "remove") {
      const wasInstalled = this.installed.delete(f.name);
      const wasFlag = this.flags.delete(f.name);
      const had = wasInstalled || wasFlag;
      try {
        this.save();
      } catch (err) {
        return done("failed", `could not write ${MODULES_FILE}: ${(err as Error).message}`);
      }
      log.info("module removed");
      return done("succeeded", had ? `removed ${f.name}@${f.version}` : `${f.name} was not installed here; nothing to remove`);
    }

    // A module without an image (its functions name theirs, or run in the container profile's) has nothing to pull.
    const pulled = f.image ? await this.pull(f, log) : { note: "" };
    if ("failed" in pulled) return done("failed", pulled.failed);
    const { note } = pulled;
    this.installed.set(f.name, { name: f.name, version: f.version, image: f.image, installed_at: new Date(this.clock()).toISOString() });
    try {
      this.save();
    } catch (err) {
      this.installed.delete(f.name);
      return done("failed", `could not write ${MODULES_FILE}: ${(err as Error).message}`);
    }
    log.info({ image: f.image }, "module installed");
    return done("succeeded", `installed ${f.name}@${f.version}${f.image ? ` from ${f.image}` : " (no image of its own)"}${note}`);
  }

  /** Pulls the module's image with progress; a failed pull of an image already here is only a note. */
  private async pull(f: ModuleFrame, log: Logger): Promise<{ note: string } | { failed: string }> {
    log.info({ image: f.image }, "pulling module image");
    this.progress(f, `pulling ${f.image}`);
    let last = this.clock();
    try {
      await this.o.runtime.pullImage(f.image, (p) => {
        const now = this.clock();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        this.progress(f, describePull(p));
      });
      return { note: "" };
    } catch (err) {
      const message = (err as Error).message;
      // A registry that does not answer is no reason to refuse an image that is already here.
      if (!(await this.o.runtime.hasImage(f.image).catch(() => false))) {
        log.warn({ image: f.image, error: message }, "module install failed");
        return { failed: message };
      }
      return { note: ` (pull failed, using the image present on this host: ${message})` };
    }
  }

  private progress(f: ModuleFrame, message: string): void {
    this.o.send({ v: PROTOCOL_VERSION, type: "module_progress", request_id: f.request_id, name: f.name, version: f.version, message: message.slice(0, 1000) } satisfies AgentFrame);
  }

  private result(f: ResultFrame): void {
    if (!this.o.send({ ...f, message: f.message.slice(0, 4000) } satisfies AgentFrame)) this.unsent.push(f);
  }

  /** Written to a temporary file and renamed, so a crash never leaves half a file. */
  private save(): void {
    const body = JSON.stringify({ modules: [...this.installed.values()] } satisfies z.infer<typeof ModulesFile>, null, 2);
    writeFileAtomic(join(this.o.dataDir, MODULES_FILE), body + "\n", { mode: 0o600 });
  }
}

/** modules.json's entries, or why it cannot be used: not JSON (a retry would only read it again) or not the expected shape. */
function parseModulesFile(text: string): { modules: InstalledModule[] } | { error: string | undefined } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const parsed = ModulesFile.safeParse(json);
  return parsed.success ? { modules: parsed.data.modules } : { error: parsed.error.issues[0]?.message };
}

