/**
 * What every runtime refuses in a JobSpec before anything exists (RuntimeError "create"): a job id
 * or attempt that cannot name a container or a scratch dir, environment keys outside OUTPOST_, and
 * input file names that are not plain names. Shared so no runtime (the in-memory test runtime
 * included) can accept what Docker refuses.
 */
import { RuntimeError, type JobSpec } from "./types.js";

/** Container names and scratch dirs are built from the job id, so it must be a safe name; input files too. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Throws RuntimeError("create") naming what in spec no runtime may accept. */
export function checkSpec(spec: JobSpec): void {
  if (!SAFE_ID.test(spec.jobId) || !Number.isInteger(spec.attempt) || spec.attempt < 0) {
    throw new RuntimeError("create", `job id ${JSON.stringify(spec.jobId)} / attempt ${spec.attempt} cannot name a container`);
  }
  const badEnv = Object.keys(spec.env ?? {}).filter((k) => !k.startsWith("OUTPOST_"));
  if (badEnv.length > 0) throw new RuntimeError("create", `env keys must start with OUTPOST_: ${badEnv.join(", ")}`);
  const badFile = Object.keys(spec.files ?? {}).find((name) => !SAFE_ID.test(name));
  if (badFile !== undefined) throw new RuntimeError("create", `input file name ${JSON.stringify(badFile)} is not a plain file name`);
}
