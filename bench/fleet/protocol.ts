/** What bench/fleet's main thread and its agent worker say to each other. */
export type FleetTask =
  /** Every credential dials at once; done when each holds `welcome` and has said `ready`. */
  | { kind: "connect"; url: string; credentials: string[]; slots: number; subprotocol: string | null }
  /** Closes every socket of the fleet and waits for the closes. */
  | { kind: "close" };

export type FleetResult =
  | { kind: "connect"; seconds: number; welcomed: number; failed: number; redials: number; firstError: string | null }
  | { kind: "close"; closed: number };
