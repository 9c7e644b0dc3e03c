import { PROTOCOL_VERSION } from "@outpost/shared";

/**
 * Every frame the simulated agents send goes through `frame`: one place for what all frames carry
 * (the envelope's wire version `v`, docs/protocol.md "Versioning").
 */
export function frame(type: string, body: Record<string, unknown> = {}): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, type, ...body });
}
