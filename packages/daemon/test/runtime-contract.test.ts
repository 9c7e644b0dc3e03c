/**
 * The runtime contract suite (support/runtime-contract.ts) against every ContainerRuntime: the
 * real DockerRuntime on dockerd with the busybox test image, and the in-memory runtime that the
 * runner's fast tests stand on.
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Dockerode from "dockerode";
import { DockerRuntime } from "../src/runtime/docker.js";
import { describeDocker, ensureTestImage, removeTestDir, removeTestRunContainers } from "./support/docker.js";
import { memoryCommand, shellCommand } from "./support/job-script.js";
import { MemoryRuntime } from "./support/memory-runtime.js";
import { runtimeContract } from "./support/runtime-contract.js";
import { TEST_RUN_LABELS } from "./support/test-run.js";

const MEMORY_IMAGE = "outpost-test/memory:1";
let memory: MemoryRuntime;

runtimeContract("in-memory", {
  setup: async () => ({ runtime: (memory = new MemoryRuntime({ images: [MEMORY_IMAGE] })), image: MEMORY_IMAGE }),
  teardown: async () => undefined,
  command: memoryCommand,
  missingImage: "127.0.0.1:9/outpost-test/does-not-exist:0",
  exists: async (id) => (await memory.listOwned(`contract-in-memory-${process.pid}`)).some((c) => c.containerId === id),
});

const docker = new Dockerode();
let scratch = "";

runtimeContract(
  "Docker",
  {
    setup: async () => {
      const image = await ensureTestImage();
      scratch = await mkdtemp(path.join(os.tmpdir(), "outpost-contract-"));
      return { runtime: new DockerRuntime({ docker, scratchDir: scratch, labels: TEST_RUN_LABELS }), image };
    },
    teardown: async () => {
      await removeTestRunContainers(docker);
      if (scratch) removeTestDir(scratch);
    },
    command: shellCommand,
    // A registry on 127.0.0.1 where nothing listens: the pull fails at once, and no public registry is asked.
    missingImage: "127.0.0.1:9/outpost-test/does-not-exist:0",
    exists: (id) => docker.getContainer(id).inspect().then(() => true, (err: { statusCode?: number }) => (err.statusCode === 404 ? false : Promise.reject(err))),
  },
  describeDocker,
);
