/** What bench/fleet's main thread and its agent worker say to each other. */
export type FleetTask =
  /** Every credential dials at once; done when each holds `welcome` and has said `ready`. */
  | { kind: "connect"; url: string; credentials: string[]; slots: number; subprotocol: string | null }
  /** `n` requests over `concurrency` kept-alive sockets, one in flight on each (autocannon-style). */
  | { kind: "http"; url: string; method: string; path: string; headers: Record<string, string>; body: string; expect: number; n: number; concurrency: number }
  /** Closes every socket of the fleet and waits for the closes. */
  | { kind: "close" };

export type FleetResult =
  | { kind: "connect"; seconds: number; welcomed: number; failed: number; redials: number; firstError: string | null }
  | { kind: "http"; n: number; seconds: number }
  | { kind: "close"; closed: number };
