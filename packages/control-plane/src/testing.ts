/**
 * `@outpost/control-plane/testing`: what tests and benchmarks outside this package build on, so
 * none of them reaches into src/ by relative path. The real app over a real SQLite file
 * (makeTestApp), a protocol agent speaking the session protocol to the real hub over `ws`
 * (connectAgent), and the few server functions the benches call directly to seed at scale.
 */
export { makeTestApp, sampleModule, sampleRegistration, type TestApp } from "./test-support/test-app.js";
export { connectAgent, openSession, wsUrl, type ProtoAgent } from "./test-support/agent-client.js";
export { until } from "./test-support/until.js";
export { openDb, tx, type Db } from "./db/client.js";
export { ensureInstallSecret } from "./lib/install.js";
export { LISTEN_BACKLOG } from "./server.js";
export { createJob, resolveJobTarget } from "./modules/jobs/jobs.service.js";
export { createAgent } from "./modules/agents/agents.service.js";
export { signDelivery } from "./modules/triggers/trigger-webhook.js";
export { SCRAPE_SQL } from "./modules/metrics/metrics.registry.js";
