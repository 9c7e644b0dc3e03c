/** Wire protocol between outpost-agent and outpost-server: see docs/protocol.md. */
export const PROTOCOL_VERSION = 1 as const;
export const SUBPROTOCOL = "outpost.agent.v1" as const;
