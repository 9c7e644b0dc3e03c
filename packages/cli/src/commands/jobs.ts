/** `outpost jobs run|ls|show|cancel|rerun` and `outpost logs [-f] JOB`. */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { JOB_SORTS, JOB_STATUSES, TRIGGER_SOURCES, type CreateJobBody, type Job, type LogChunk } from "@outpost/shared";
import { seg, type Api } from "../client.js";
import { CliError, EXIT } from "../exit-codes.js";
import { FOLLOW_EXIT_HELP, followJob, jobExitCode } from "../follow.js";
import { pagingOptions, positiveInt, printList } from "../list.js";
import { fields, json, out, table, type Column } from "../output.js";
import { group, leaf, type Run } from "../program.js";
import { resolveAgent, resolvePool } from "../resolve.js";

const COLUMNS: Column<Job>[] = [
  ["ID", (j) => j.id],
  ["FUNCTION", (j) => `${j.module}@${j.version}.${j.function}`],
  ["STATUS", (j) => j.status],
  ["EXIT", (j) => j.exit_code],
  ["AGENT", (j) => j.agent_name],
  ["POOL", (j) => j.pool_name],
  ["TRIGGER", (j) => j.trigger_source],
  ["CREATED", (j) => j.inserted_at],
];
const SHOW = ["id", "module", "version", "function", "status", "waiting_reason", "exit_code", "error", "attempt", "max_attempts", "agent_name", "pool_name", "inputs", "timeout_s", "trigger_source", "triggered_by", "inserted_at", "started_at", "completed_at", "duration_ms"];

function showJob(run: Run, job: Job): void {
  if (run.json) return json(job);
  out(fields(job, SHOW));
  if (job.steps.length) out("\n" + table(job.steps, [["STEP", (s) => s.name], ["STATUS", (s) => s.status], ["OUTPUT", (s) => s.output]]));
}

/** MODULE.FUNCTION (split at the first dot) or MODULE:FUNCTION (for a module whose name has dots). */
export function splitTarget(target: string): { module: string; function: string } {
  const i = target.includes(":") ? target.indexOf(":") : target.indexOf(".");
  if (i <= 0 || i === target.length - 1) throw new CliError(`expected MODULE.FUNCTION or MODULE:FUNCTION (got ${JSON.stringify(target)})`, EXIT.usage);
  return { module: target.slice(0, i), function: target.slice(i + 1) };
}

/** --inputs-file first, then each --input k=v (a string) or k:=JSON (any JSON value) over it. */
export function collectInputs(pairs: string[], file: string | undefined): Record<string, unknown> {
  let inputs: Record<string, unknown> = {};
  if (file) {
    let raw: unknown;
    try {
      raw = JSON.parse(file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8"));
    } catch (err) {
      throw new CliError(`--inputs-file ${file}: ${(err as Error).message}`, EXIT.usage);
    }
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new CliError(`--inputs-file ${file}: must hold a JSON object`, EXIT.usage);
    inputs = raw as Record<string, unknown>;
  }
  for (const pair of pairs) {
    const typed = pair.match(/^([^=:]+):=(.*)$/s);
    if (typed) {
      try {
        inputs[typed[1]!] = JSON.parse(typed[2]!);
      } catch {
        throw new CliError(`--input ${pair}: the value after := must be JSON`, EXIT.usage);
      }
      continue;
    }
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CliError(`--input: expected key=value or key:=JSON (got ${JSON.stringify(pair)})`, EXIT.usage);
    inputs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return inputs;
}

/** Creates the job; with follow, streams its log and resolves with its exit code. */
async function submit(run: Run, body: Omit<CreateJobBody, "max_attempts" | "priority" | "inputs"> & Partial<CreateJobBody>, follow: boolean): Promise<number | void> {
  const api = run.api();
  const job = await api.post<Job>("/api/v1/jobs", body);
  if (!follow) return showJob(run, job);
  process.stderr.write(`job ${job.id} ${job.status}${job.waiting_reason ? `: ${job.waiting_reason}` : ""}\n`);
  return finish(run, api, job.id);
}

async function finish(run: Run, api: Api, id: string): Promise<number> {
  const done = await followJob(api, id, run.json);
  if (run.json) json(done);
  else process.stderr.write(`job ${done.id} ${done.status}${done.exit_code !== null ? ` (exit ${done.exit_code})` : ""}${done.error ? `: ${done.error.message}` : ""}\n`);
  return jobExitCode(done);
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function jobsCommand(): Command {
  const cmd = group("jobs", "run jobs and look at them");
  cmd.addCommand(
    leaf(
      new Command("run")
        .description("create a job running MODULE.FUNCTION")
        .argument("<target>", "MODULE.FUNCTION, or MODULE:FUNCTION when the module's name has dots")
        .option("-i, --input <key=value>", "an input (a string); key:=JSON for any JSON value; repeatable", collect, [])
        .option("--inputs-file <file>", "a JSON object of inputs (- reads stdin); --input values go over it")
        .option("--module-version <version>", "an exact version or a semver range (default: the latest)")
        .option("--pool <pool>", "run in this pool (id or name)")
        .option("--agent <agent>", "run on this agent (id, agent_id or name)")
        .option("--timeout <seconds>", "stop the job after this long", positiveInt)
        .option("--max-attempts <n>", "attempts before it fails", positiveInt)
        .option("-f, --follow", "print the log live and exit with the job's exit code")
        .addHelpText("after", "\n" + FOLLOW_EXIT_HELP),
      async (run, target: string, o: { input: string[]; inputsFile?: string; moduleVersion?: string; pool?: string; agent?: string; timeout?: number; maxAttempts?: number; follow?: boolean }) => {
        const inputs = collectInputs(o.input, o.inputsFile);
        const api = run.api();
        const pool_id = o.pool ? (await resolvePool(api, o.pool)).id : undefined;
        const agent_id = o.agent ? (await resolveAgent(api, o.agent)).id : undefined;
        return submit(run, { ...splitTarget(target), version: o.moduleVersion, inputs, pool_id, agent_id, timeout_s: o.timeout, max_attempts: o.maxAttempts }, Boolean(o.follow));
      },
    ),
  );
  cmd.addCommand(
    leaf(
      pagingOptions(
        new Command("ls")
          .description("list jobs, newest first (the console's runs page filters)")
          .option("--status <list>", `comma list of ${JOB_STATUSES.join(", ")}`)
          .option("--agent <agent>", "one agent (id, agent_id or name)")
          .option("--pool <pool>", "one pool (id or name)")
          .addOption(new Option("--trigger-source <source>", "how the jobs were started").choices([...TRIGGER_SOURCES]))
          .option("--from <time>", "created at or after (RFC 3339)")
          .option("--to <time>", "created before (RFC 3339)")
          .addOption(new Option("--sort <key>", "sort key").choices([...JOB_SORTS]))
          .option("--org <org>", "one org (slug or id)"),
      ),
      async (run, o: Record<string, string | undefined>) => {
        const api = run.api();
        const agent_id = o.agent ? (await resolveAgent(api, o.agent)).id : undefined;
        const pool_id = o.pool ? (await resolvePool(api, o.pool)).id : undefined;
        return printList<Job>(run, "/api/v1/jobs", o, { status: o.status, agent_id, pool_id, trigger_source: o.triggerSource, from: o.from, to: o.to, sort: o.sort, org: o.org }, COLUMNS);
      },
    ),
  );
  cmd.addCommand(leaf(new Command("show").description("one job: status, exit code, error, steps").argument("<id>"), async (run, id: string) => showJob(run, await run.api().get<Job>(`/api/v1/jobs/${seg(id)}`))));
  cmd.addCommand(leaf(new Command("cancel").description("cancel a job").argument("<id>"), async (run, id: string) => showJob(run, await run.api().post<Job>(`/api/v1/jobs/${seg(id)}/cancel`))));
  cmd.addCommand(
    leaf(
      new Command("rerun")
        .description("run a job again: a new job with the old one's module, version, function, inputs, pool or agent, limits and timeout")
        .argument("<id>")
        .option("-f, --follow", "print the log live and exit with the job's exit code")
        .addHelpText("after", "\n" + FOLLOW_EXIT_HELP),
      async (run, id: string, o: { follow?: boolean }) => {
        const old = await run.api().get<Job>(`/api/v1/jobs/${seg(id)}`);
        return submit(
          run,
          {
            module: old.module,
            version: old.version,
            function: old.function,
            inputs: old.inputs,
            ...(old.target_agent_id ? { agent_id: old.target_agent_id } : old.pool_id ? { pool_id: old.pool_id } : {}),
            limits: old.limits,
            timeout_s: old.timeout_s ?? undefined,
            max_attempts: old.max_attempts,
            priority: old.priority,
          },
          Boolean(o.follow),
        );
      },
    ),
  );
  return cmd;
}

export function logsCommand(): Command {
  return leaf(
    new Command("logs")
      .description("print a job's log; with -f follow it live until the job ends")
      .argument("<job>", "the job's id")
      .option("-f, --follow", "follow the log and exit with the job's exit code")
      .addHelpText("after", "\n" + FOLLOW_EXIT_HELP),
    async (run, id: string, o: { follow?: boolean }) => {
      const api = run.api();
      if (o.follow) return finish(run, api, id);
      let after: { attempt?: number; seq?: number } = {};
      for (;;) {
        const page = await api.page<LogChunk>(`/api/v1/jobs/${seg(id)}/logs`, { after_attempt: after.attempt, after_seq: after.seq, limit: 5000 });
        for (const c of page.details) {
          if (run.json) process.stdout.write(JSON.stringify(c) + "\n");
          else (c.stream === "stdout" ? process.stdout : process.stderr).write(c.data);
        }
        const last = page.details[page.details.length - 1];
        if (!page.next_cursor || !last) return;
        after = { attempt: last.attempt, seq: last.seq };
      }
    },
  );
}
