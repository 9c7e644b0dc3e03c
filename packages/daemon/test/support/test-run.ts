/**
 * This test file's run: every container it makes (through DockerRuntime or a spawned
 * outpost-agent) carries `outpost.test-run=<uuid>`, and cleanup removes only those. A test run
 * never touches a real agent's containers or another concurrent run's. Each test file imports its
 * own copy of this module, so each file is its own run.
 */
import { randomUUID } from "node:crypto";

export const TEST_RUN_LABEL = "outpost.test-run";
export const TEST_RUN_ID = randomUUID();
/** For DockerRuntime's `labels` option. */
export const TEST_RUN_LABELS: Record<string, string> = { [TEST_RUN_LABEL]: TEST_RUN_ID };
/** For outpost-agent's OUTPOST_CONTAINER_LABELS / --container-label. */
export const TEST_RUN_LABEL_ARG = `${TEST_RUN_LABEL}=${TEST_RUN_ID}`;
