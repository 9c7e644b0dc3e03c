/** report: the attempt's JSON / Markdown report, kept unless over the size cap. */
import { PROTOCOL_VERSION, type ServerFrame } from "@outpost/shared";
import { recordReport } from "../../modules/dispatch/dispatch-outputs.js";
import { ref, stale } from "../context.js";
import type { Handler } from "./handler.js";

export const report: Handler<"report"> = (ctx, s, f) => {
  const r = recordReport(ctx.deps.db, ref(s, f), { json: f.json, markdown: f.markdown }, ctx.now());
  if (r === "stale") return stale(s, f);
  if (r === "too_large") s.send({ v: PROTOCOL_VERSION, type: "error", code: "report_too_large", message: "the report is over the size cap and was not kept", frame_type: "report" } satisfies ServerFrame);
  ctx.jobChanged(s, f.job_id);
};
