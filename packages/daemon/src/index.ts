export { startAgent, type RunningAgent } from "./agent.js";
export { loadAgentConfig, AgentConfig, ConfigError } from "./config.js";
export { JobRunner, STEP_PREFIX } from "./runner.js";
export { AgentSession, fullJitter } from "./session.js";
export { DockerRuntime } from "./runtime/docker.js";
export * from "./runtime/types.js";
