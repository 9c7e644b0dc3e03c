/**
 * The limits a job runs with: the job's override, else the function's default, else the agent's
 * default; never above what the agent allows (its own settings are the ceiling), never more cores
 * than its host has (Docker refuses NanoCpus above the host's CPU count), and always inside
 * LIMIT_RANGES, so a row stored before the ranges were enforced cannot reach Docker as "unlimited"
 * or as a value the engine refuses.
 */
import { LIMIT_RANGES, cpusToNano, parseMemLimit, type Limits, type LimitsOverride } from "@outpost/shared";

type Defaults = Partial<Limits>;

const GIB = 1024 ** 3;

function clamp(n: number, { min, max }: { min: number; max: number }): number {
  return Math.min(Math.max(n, min), max);
}

/** `hostCpus`: the agent's reported cpu_count, when it reported one. */
export function effectiveLimits(agent: Limits, fn: Defaults, job: LimitsOverride, hostCpus: number | null = null): Limits {
  const cpus = job.cpus ?? fn.cpus ?? agent.cpus;
  const mem = job.mem_limit ?? fn.mem_limit ?? agent.mem_limit;
  const pids = job.pids_limit ?? fn.pids_limit ?? agent.pids_limit;
  const ceilingNano = Math.min(cpusToNano(agent.cpus), hostCpus && hostCpus >= 1 ? hostCpus * 1e9 : Infinity);
  const nano = clamp(Math.min(cpusToNano(cpus), ceilingNano), { min: LIMIT_RANGES.cpus.min * 1e9, max: LIMIT_RANGES.cpus.max * 1e9 });
  const bytes = clamp(Math.min(parseMemLimit(mem), parseMemLimit(agent.mem_limit)), LIMIT_RANGES.mem_limit);
  return {
    cpus: nano === cpusToNano(cpus) ? cpus : nano === cpusToNano(agent.cpus) ? agent.cpus : String(nano / 1e9),
    mem_limit: bytes === parseMemLimit(mem) ? mem : bytes === parseMemLimit(agent.mem_limit) ? agent.mem_limit : bytes % GIB === 0 ? `${bytes / GIB}g` : String(bytes),
    pids_limit: clamp(Math.min(pids, agent.pids_limit), LIMIT_RANGES.pids_limit),
  };
}
