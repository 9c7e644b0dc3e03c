/**
 * Every frame the simulated agents send goes through `frame`: one place for what all frames carry
 * (a wire version, when the protocol adds one).
 */
export function frame(type: string, body: Record<string, unknown> = {}): string {
  return JSON.stringify({ type, ...body });
}
