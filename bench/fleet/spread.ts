/**
 * Target 5, dispatch across many sessions (`--phases spread`): `--spread-agents` one-slot agents
 * drain `--spread-jobs` no-op jobs, against bench/dispatch's setup (4 agents x 8 slots) draining
 * `--spread-base-jobs` in the same run, on the same server code and the same simulated agents
 * (agent.ts, `noop`: accept, started, finished; a slot frees on finished_ack). Jobs are queued
 * first (register.ts, the jobs service), then every agent dials at once; the time is from the first dial to the last
 * finished_ack. Fairness from the database: jobs per agent, the largest against an even share.
 */
import { LISTEN_BACKLOG, makeTestApp, sampleModule, type TestApp } from "@outpost/control-plane/testing";
import { rate, verdict, type Ask, type PhaseContext } from "./phase.js";
import { queueJobs, registerAgents, retryBudget } from "./register.js";

type Drained = { seconds: number; rate: number; perAgent: number[]; completed: number; attempts: number; t: TestApp };

/** A fresh server with `agents` agents of `slots` slots and `jobs` pending jobs; the agents drain them. */
async function drain(ask: Ask, agents: number, slots: number, jobs: number): Promise<Drained> {
  const t = await makeTestApp();
  await retryBudget("POST /api/v1/modules", () => t.api("POST", "/api/v1/modules", { body: sampleModule() }));
  const credentials = registerAgents(t.deps.db, t.deps.installSecret, agents, `spread${slots}`);
  const url = await t.app.listen({ host: "127.0.0.1", port: 0, backlog: LISTEN_BACKLOG });
  queueJobs(t.deps.db, jobs, "spread");
  const run = await ask<"agentsUp">({ kind: "agentsUp", url, credentials, slots, mode: "noop", linesPerJob: 0, expected: jobs });
  await ask<"agentsDown">({ kind: "agentsDown" });
  const c = t.deps.db.$client;
  const ran = c.prepare("select count(*) from jobs where status = 'completed' group by agent_id").pluck().all() as number[];
  const perAgent = ran.concat(Array<number>(Math.max(0, agents - ran.length)).fill(0)); // agents that ran nothing count too
  const completed = c.prepare("select count(*) from jobs where status = 'completed'").pluck().get() as number;
  const attempts = c.prepare("select count(*) from job_attempts where outcome != 'released'").pluck().get() as number;
  return { seconds: run.seconds, rate: jobs / run.seconds, perAgent, completed, attempts, t };
}

export async function spreadPhase({ ask, results, load, args }: PhaseContext): Promise<void> {
  const agents = Number(args["spread-agents"]);
  const jobs = Number(args["spread-jobs"]);
  const baseJobs = Number(args["spread-base-jobs"]);
  console.log(`\n## dispatch across many sessions: ${agents} agents x 1 slot, ${jobs} no-op jobs; bench/dispatch setup 4 x 8 slots, ${baseJobs} jobs (load ${load()})`);
  const base = await drain(ask, 4, 8, baseJobs);
  await base.t.close();
  const ours = await drain(ask, agents, 1, jobs);
  await ours.t.close();
  const ratio = ours.rate / base.rate;
  const share = jobs / agents;
  const most = Math.max(...ours.perAgent);
  const least = Math.min(...ours.perAgent);
  const fairness = most / share;
  const intact = ours.completed === jobs && ours.attempts === jobs && base.completed === baseJobs && base.attempts === baseJobs;
  console.log(`| measure | ${agents} x 1 slot | 4 x 8 slots (bench/dispatch) | ratio |\n|---|---|---|---|`);
  console.log(`| no-op jobs, whole lifecycle | ${rate(ours.rate)} (${jobs} in ${ours.seconds.toFixed(1)} s) | ${rate(base.rate)} (${baseJobs} in ${base.seconds.toFixed(1)} s) | ${ratio.toFixed(2)}x |`);
  console.log(`jobs per agent: share ${share.toFixed(1)}, most ${most} (${fairness.toFixed(2)}x the share), least ${least}; stored ${ours.completed} completed with ${ours.attempts} attempts`);
  console.log(`target 5 (${agents} one-slot agents at least the 4-agent rate; no agent over 2x its share): ${verdict(ratio >= 1 && fairness <= 2 && intact)}`);
  results.spread = { ours: { ...ours, t: undefined, perAgent: undefined, most, least }, base: { ...base, t: undefined, perAgent: undefined }, ratio, fairness, load: load() };
}
