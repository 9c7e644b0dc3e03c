/**
 * A JobRunner with the session replaced by a frame recorder, on whichever runtime the test gives
 * (DockerRuntime in runner.test.ts, the in-memory runtime in runner-memory.test.ts), and the
 * assign frames those tests send.
 */
import pino from "pino";
import { PROTOCOL_VERSION, type AgentFrame, type AssignFrame } from "@outpost/shared";
import { JobRunner, type RunnerOptions } from "../../src/jobs/runner.js";
import type { ContainerRuntime } from "../../src/runtime/types.js";
import { until } from "./processes.js";

export const AGENT_ID = `runner-test-${process.pid}`;
let seq = 0;

export function assign(image: string, over: Partial<AssignFrame> = {}): AssignFrame {
  return {
    v: PROTOCOL_VERSION,
    type: "assign",
    job_id: `rj${process.pid}x${seq++}`,
    attempt: 1,
    lease_expires_at: new Date(Date.now() + 60_000).toISOString(),
    module: "m",
    version: "1.0.0",
    function: "f",
    image,
    command: ["sh", "-c", "echo hi"],
    inputs: {},
    limits: { cpus: "0.5", mem_limit: "64m", pids_limit: 64 },
    timeout_s: null,
    cancel_grace_s: 1,
    profile: {
      agent_id: "runner-test",
      name: "runner test",
      description: "",
      tools_config: {},
      soul_md: "",
      rules_md: "",
      autonomy_level: "act_within_scope",
      models: [],
      skills: [],
      model_policy_id: null,
      container_profile: null,
    },
    ...over,
  };
}

type Finished = Extract<AgentFrame, { type: "finished" }>;

/** A runner whose frames land in `sent`; `over` replaces any option (send, congested, clock...). */
export function makeRunner(runtime: ContainerRuntime, opts: { slots?: number; resync?: boolean; over?: Partial<RunnerOptions> } = {}) {
  const sent: AgentFrame[] = [];
  const runner = new JobRunner({
    runtime,
    agentId: AGENT_ID,
    slots: opts.slots ?? 2,
    hasModule: (m) => m.name === "m" && m.version === "1.0.0",
    log: pino({ level: "silent" }),
    send: (f) => (sent.push(f), true),
    congested: () => false,
    ...opts.over,
  });
  if (opts.resync !== false) runner.resync(60);
  const of = (jobId: string) => sent.filter((f) => "job_id" in f && f.job_id === jobId);
  const finished = (jobId: string) => until(`finished ${jobId}`, async () => of(jobId).find((f): f is Finished => f.type === "finished"));
  const logText = (jobId: string) => of(jobId).flatMap((f) => (f.type === "logs" ? f.chunks.map((c) => c.data) : [])).join("");
  return { runner, sent, of, finished, logText };
}
