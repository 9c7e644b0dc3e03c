/**
 * Label requirements: a job (its own `labels`, plus its pool's at creation) may require labels
 * (`{gpu: "true"}`), and only an agent carrying every one of them, with the same value, may claim
 * it. One predicate, in SQL: the claim query's (here) and the job's waiting_reason (jobs/job-waiting-reason.ts).
 */

/**
 * SQL: every entry of the job's required_labels is among @labels (the agent's labels, JSON text).
 * Jobs that require nothing ('{}', most) skip the json_each walk.
 */
export const LABELS_SATISFIED = `("jobs"."required_labels" = '{}' or not exists (
  select 1 from json_each("jobs"."required_labels") r
   where not exists (select 1 from json_each(@labels) l where l.key = r.key and l.value = r.value)))`;

/** `gpu=true, zone=eu`: for messages. */
export function describeLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}
