/**
 * A job's outputs as every runtime reports them (JobOutputs): the overflow of /outpost/out, then
 * report.json (parsed) and report.md, each read capped by the runtime; what could not be read or
 * parsed becomes one `error` string, naming the file.
 */
import type { JobOutputs } from "./types.js";

/** One report file as read: its text, an error naming why it was not read, or neither when missing. */
export type ReportRead = { text?: string; error?: string };

export function jobOutputs(overflow: string | undefined, json: ReportRead, md: ReportRead): JobOutputs {
  const result: JobOutputs = {};
  const errors: string[] = [];
  if (overflow) result.overflow = overflow;
  if (json.error) errors.push(json.error);
  else if (json.text !== undefined) {
    try {
      result.reportJson = JSON.parse(json.text);
    } catch (err) {
      errors.push(`report.json is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (md.error) errors.push(md.error);
  else if (md.text !== undefined) result.reportMarkdown = md.text;
  if (errors.length > 0) result.error = errors.join("; ");
  return result;
}

/** The error of a report over the runtime's cap. */
export function overCap(name: string, size: number, capBytes: number): string {
  return `${name} is ${size} bytes, over the cap of ${capBytes}`;
}
