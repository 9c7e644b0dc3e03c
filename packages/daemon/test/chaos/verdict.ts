import { AT_REST_OR_OFFLINE, type SoakSummary } from "./soak.js";

/** The invariants a soak must hold; each broken one as a sentence (empty: all held). */
export function verdict(s: SoakSummary): string[] {
  const out: string[] = [];
  if (s.lost) out.push(`${s.lost} job(s) lost or not terminal`);
  if (s.overlapping) out.push(`${s.overlapping} overlapping attempt(s)`);
  if (s.double_runs_without_loss) out.push(`${s.double_runs_without_loss} body run(s) twice without a lost attempt`);
  if (s.log_problems.length) out.push(`log problems: ${s.log_problems.slice(0, 5).join("; ")}`);
  if (s.containers_left) out.push(`${s.containers_left} container(s) left behind`);
  const bad = Object.entries(s.agents_end).filter(([, st]) => !AT_REST_OR_OFFLINE.includes(st));
  if (bad.length) out.push(`agents not at rest or Offline: ${JSON.stringify(Object.fromEntries(bad))}`);
  if (s.unanswered_requests) out.push(`${s.unanswered_requests} request(s) neither answered nor failed within 15 s`);
  // During a full disk each write is a 201 that is really stored (the lost count covers it) or an error
  // envelope; a hang or a bare 500 breaks the invariant.
  if (s.disk_full_probes.some((p) => /no answer|then 500/.test(p))) out.push(`a write during disk full got no clear error: ${s.disk_full_probes.join(", ")}`);
  return out;
}
