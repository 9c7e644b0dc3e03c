/**
 * Issue 13 end to end: outpost-server and outpost-agent as processes, the agent started with
 * --profile FILE.json, real dockerd. A job reads its agent's profile from /outpost/in (read-only)
 * and its environment, with the values current when it was claimed; a function without an image
 * waits for a container profile, then runs in that profile's image.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeDocker, ensureTestImage, removeTestDir, TEST_IMAGE } from "./support/docker.js";
import { AGENT_BIN, jobHelpers, startProc, startServer, until, type Proc, type ServerProc } from "./support/processes.js";

const READ_PROFILE = [
  'cp /outpost/in/agent.json "$OUTPOST_OUTPUT_DIR/report.json"',
  'echo "---soul"; cat /outpost/in/soul.md; echo',
  'echo "---rules"; cat /outpost/in/rules.md; echo',
  'echo "autonomy=$OUTPOST_AUTONOMY_LEVEL"',
  'echo "models=$OUTPOST_MODELS"',
  'echo "profile=$OUTPOST_AGENT_PROFILE"',
  "if (echo tampered > /outpost/in/soul.md) 2>/dev/null; then echo in-is-writable; else echo in-is-read-only; fi",
].join("; ");

// No image on the module: `read` names the test image itself, `bare` runs in the container profile's.
const MODULE = {
  name: "profiled",
  version: "1.0.0",
  functions: [
    { name: "read", display_name: "Read the profile", image: TEST_IMAGE, command: ["sh", "-c", READ_PROFILE] },
    { name: "bare", display_name: "Run in the profile image", command: ["sh", "-c", 'echo "autonomy=$OUTPOST_AUTONOMY_LEVEL"'] },
  ],
};

const PROFILE = {
  description: "Reads its own profile",
  soul_md: "# Soul\nCurious, careful.",
  rules_md: "- stay in /outpost/out",
  autonomy_level: "full_autonomy",
  models: ["model-a", "model, with a comma"],
  skills: [{ name: "reading", tools: [{ name: "cat", description: "prints files" }] }],
  tools_config: { cat: { flags: ["-v"] } },
};

let dir: string;
let server: ServerProc;
let agent: Proc;

describeDocker("a job reads its agent's profile (outpost-agent --profile, real Docker)", () => {
  const api = () => server.api;
  const { settled, agentNamed } = jobHelpers(api);
  const runJob = async (fn: string) => {
    const r = await api()("POST", "/api/v1/jobs", { module: "profiled", function: fn, inputs: {} });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.details;
  };
  const logText = async (id: string) => ((await api()("GET", `/api/v1/jobs/${id}/logs`)).body.details as { data: string }[]).map((l) => l.data).join("");

  beforeAll(async () => {
    await ensureTestImage();
    dir = mkdtempSync(join(tmpdir(), "outpost-profile-"));
    server = await startServer(join(dir, "outpost.db"));
    expect((await api()("POST", "/api/v1/modules", MODULE)).status).toBe(201);
    const profileFile = join(dir, "profile.json");
    writeFileSync(profileFile, JSON.stringify(PROFILE));
    agent = startProc(AGENT_BIN, ["run", "--url", server.url, "--token", server.token, "--name", "reader", "--data-dir", join(dir, "agent"), "--module", "profiled@1.0.0", "--profile", profileFile]);
    await agent.waitFor(/session open/);
  });

  afterAll(async () => {
    await agent?.kill("SIGKILL");
    await server?.proc.kill("SIGTERM");
    // Only the containers of this file's jobs (named outpost-<job id>-<attempt>, labelled with our agent).
    const docker = new Dockerode();
    const self = await agentNamed("reader").catch(() => null);
    if (self) {
      for (const c of await docker.listContainers({ all: true, filters: { label: [`outpost.agent_id=${self.id}`] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    }
    removeTestDir(dir); // a SIGKILLed agent leaves its jobs' outputs tmpfs mounted
  });

  it("registers with the --profile file's fields", async () => {
    const a = await agentNamed("reader");
    expect(a).toMatchObject({ soul_md: PROFILE.soul_md, rules_md: PROFILE.rules_md, autonomy_level: "full_autonomy", models: PROFILE.models, description: PROFILE.description });
    expect(a.skills[0]).toMatchObject({ name: "reading", scope: "container_local", tools: [{ name: "cat", install_method: "builtin" }] });
  });

  it("gives the job agent.json, soul.md and rules.md read-only in /outpost/in and OUTPOST_AUTONOMY_LEVEL / OUTPOST_MODELS, as of its claim", async () => {
    const a = await agentNamed("reader");
    const patched = await api()("PATCH", `/api/v1/agents/${a.id}`, { rules_md: "- rules as patched", autonomy_level: "ask_before_acting" });
    expect(patched.status).toBe(200);
    const job = await runJob("read");
    const done = await settled(job.id);
    expect(done, JSON.stringify(done)).toMatchObject({ status: "completed", exit_code: 0 });
    const text = await logText(job.id);
    expect(text).toContain(`---soul\n${PROFILE.soul_md}\n`);
    expect(text).toContain("---rules\n- rules as patched\n");
    expect(text).toContain("autonomy=ask_before_acting\n");
    expect(text).toContain(`models=${JSON.stringify(PROFILE.models)}\n`);
    expect(text).toContain("profile=/outpost/in/agent.json\n");
    expect(text).toContain("in-is-read-only");
    const report = (await api()("GET", `/api/v1/jobs/${job.id}/report`)).body.details;
    expect(report.json).toMatchObject({
      agent_id: a.agent_id,
      name: "reader",
      description: PROFILE.description,
      soul_md: PROFILE.soul_md,
      rules_md: "- rules as patched",
      autonomy_level: "ask_before_acting",
      models: PROFILE.models,
      tools_config: PROFILE.tools_config,
      container_profile: null,
    });
    expect(report.json.skills[0].tools[0]).toMatchObject({ name: "cat", install_method: "builtin" });
    const after = await agentNamed("reader");
    expect(after).toMatchObject({ container_id: null, error_message: null });
  });

  it("holds a job whose function names no image until the agent has a container profile, then runs it in that profile's image", async () => {
    const job = await runJob("bare");
    expect(job.status).toBe("pending");
    expect(job.waiting_reason).toMatch(/names no image/);
    const cp = await api()("POST", "/api/v1/container-profiles", { name: "busybox", docker_image: TEST_IMAGE });
    expect(cp.status).toBe(201);
    const a = await agentNamed("reader");
    expect((await api()("PATCH", `/api/v1/agents/${a.id}`, { container_profile_id: cp.body.details.id })).status).toBe(200);
    const done = await settled(job.id);
    expect(done, JSON.stringify(done)).toMatchObject({ status: "completed", exit_code: 0 });
    await until("the log", async () => (await logText(job.id)).includes("autonomy=ask_before_acting"));
  });
});
