/**
 * Wire protocol between outpost-agent and outpost-server over one WebSocket
 * (/api/v1/agent/session, subprotocol SUBPROTOCOL). Every frame is one JSON text message in the
 * envelope `{v, type}` (envelope.ts) matching AgentFrame (agent to server, agent-messages.ts) or
 * ServerFrame (server to agent, server-messages.ts), checked on both ends with parseFrame.
 * docs/protocol.md is the prose version; keep the two in step.
 */
export * from "./envelope.js";
export * from "./agent-messages.js";
export * from "./server-messages.js";
