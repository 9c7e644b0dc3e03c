/**
 * A job's steps: stdout lines of the form `::outpost::step {json}` (docs/protocol.md) update the
 * step of that name; they stay in the log too. Lines may arrive in any pieces, including a line
 * the resume point of a restart cut in two (`carry`). A line that is not a valid step is ignored
 * with a note in the job's log, never an error. At most MAX_STEPS steps are kept: the last place
 * becomes a marker step counting those left out. `dirty` says the steps changed since the last
 * steps frame went out.
 */
import { MAX_STEPS, StepUpdate } from "@outpost/shared";
import { clipStepLine, MORE_STEPS_NAME } from "./frames.js";

/** A stdout line of this form is a step update. */
export const STEP_PREFIX = "::outpost::step ";
/** A longer unfinished stdout line is not kept for step parsing. */
export const MAX_STEP_LINE = 8192;

export type StepEvents = {
  /** A line for the job's log (system stream), saying what was ignored. */
  note: (line: string) => void;
  /** The steps changed. */
  changed: () => void;
};

export class StepScanner {
  private readonly byName = new Map<string, StepUpdate>();
  /** The current stdout line, not yet ended by a newline. */
  private partialLine = "";
  /** Distinct steps past MAX_STEPS that were not kept (counted in the MORE_STEPS_NAME step). */
  private droppedSteps = 0;
  /** The steps changed since the last steps frame was sent. */
  dirty = false;

  constructor(private readonly on: StepEvents) {}

  /** The steps, in the order they first appeared (the marker step last once there is one). */
  get steps(): StepUpdate[] {
    return [...this.byName.values()];
  }

  get size(): number {
    return this.byName.size;
  }

  /** stdout text as it arrives: every line it completes is looked at. */
  scan(text: string): void {
    const lines = (this.partialLine + text).split("\n");
    this.partialLine = lines.pop() ?? "";
    if (this.partialLine.length > MAX_STEP_LINE) this.partialLine = "";
    for (const line of lines) this.line(line);
  }

  /** stdout bytes the server already had (skipped on a re-read): what follows their last newline starts the current line. */
  carry(skipped: Buffer): void {
    if (!skipped.length) return;
    const nl = skipped.lastIndexOf(0x0a);
    const start = (nl < 0 ? this.partialLine : "") + skipped.subarray(nl + 1).toString("utf8");
    this.partialLine = start.length > MAX_STEP_LINE ? "" : start;
  }

  /** The job exited: an unfinished last line still counts. */
  end(): void {
    if (this.partialLine) this.line(this.partialLine);
    this.partialLine = "";
  }

  /** A step the agent itself reports (the image pull), kept like the job's own. */
  set(step: StepUpdate): void {
    this.byName.set(step.name, step);
    this.touch();
  }

  private line(line: string): void {
    if (!line.startsWith(STEP_PREFIX)) return;
    let value: unknown;
    try {
      value = JSON.parse(line.slice(STEP_PREFIX.length));
    } catch {
      return this.on.note(`outpost-agent: ignored a step line that is not JSON: ${line.slice(0, 200)}`);
    }
    const step = StepUpdate.safeParse(clipStepLine(value));
    if (!step.success) return this.on.note(`outpost-agent: ignored a step line: ${step.error.issues[0]?.path.join(".")}: ${step.error.issues[0]?.message}`);
    if (!this.byName.has(step.data.name) && this.byName.size >= MAX_STEPS - (this.droppedSteps > 0 ? 0 : 1)) {
      // Past the cap: the last place is a marker step counting what was left out.
      if (this.droppedSteps++ === 0) this.on.note(`outpost-agent: this job reported more than ${MAX_STEPS} steps; the rest are not shown`);
      this.byName.set(MORE_STEPS_NAME, { name: MORE_STEPS_NAME, status: "skipped", output: `${this.droppedSteps} more step(s) not shown` });
    } else {
      this.byName.set(step.data.name, step.data);
    }
    this.touch();
  }

  private touch(): void {
    this.dirty = true;
    this.on.changed();
  }
}
