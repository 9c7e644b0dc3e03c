/** renew: fresh leases for the attempts the agent holds; a cancel for those being cancelled. */
import { PROTOCOL_VERSION, type FrameOf, type ServerFrame } from "@outpost/shared";
import { renewLease } from "../../modules/dispatch/dispatch-attempts.js";
import { ref, sendCancel, stale } from "../context.js";
import type { Handler } from "./handler.js";

export const renew: Handler<"renew"> = (ctx, s, f) => {
  const at = ctx.now();
  const leases: FrameOf<ServerFrame, "renewed">["leases"] = [];
  for (const l of f.leases) {
    const r = renewLease(ctx.deps.db, ref(s, l), at, ctx.leaseMs);
    if (r.status === "stale") {
      stale(s, l);
      continue;
    }
    leases.push({ ...l, lease_expires_at: r.leaseExpiresAt });
    if (r.cancel) sendCancel(s, l.job_id, l.attempt, r.errorReason);
  }
  s.send({ v: PROTOCOL_VERSION, type: "renewed", leases } satisfies ServerFrame);
};
