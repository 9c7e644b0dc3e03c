/**
 * The limits a job runs with: the job's override, else the function's default, else the agent's
 * default; never above what the agent allows (its own settings are the ceiling).
 */
import { cpusToNano, parseMemLimit, type Limits, type LimitsOverride } from "@outpost/shared";

type Defaults = Partial<Limits>;

export function effectiveLimits(agent: Limits, fn: Defaults, job: LimitsOverride): Limits {
  const cpus = job.cpus ?? fn.cpus ?? agent.cpus;
  const mem = job.mem_limit ?? fn.mem_limit ?? agent.mem_limit;
  const pids = job.pids_limit ?? fn.pids_limit ?? agent.pids_limit;
  return {
    cpus: cpusToNano(cpus) > cpusToNano(agent.cpus) ? agent.cpus : cpus,
    mem_limit: parseMemLimit(mem) > parseMemLimit(agent.mem_limit) ? agent.mem_limit : mem,
    pids_limit: Math.min(pids, agent.pids_limit),
  };
}
