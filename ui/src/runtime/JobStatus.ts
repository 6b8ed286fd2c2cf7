import type { ProgressUnit } from "../../../src/protocol/eventUpdates.ts";

/** Where an event stands, as its output components show it. Times are `performance.now()` ms. */
export interface JobStatus {
  /** pending: sent, nothing heard yet; queued: waiting with a rank; running: started; error: ended badly. */
  readonly stage: "pending" | "queued" | "running" | "error";
  readonly submittedAt: number;
  /** 0 = next in line. */
  readonly rank: number | null;
  readonly queueSize: number | null;
  /** When the event is expected to end (from `rank_eta`, then `process_starts.eta`), or null. */
  readonly expectedEndAt: number | null;
  /** Latest `progress` message. */
  readonly progress: readonly ProgressUnit[] | null;
  /** While that message says the model is loading ("loading model, ~N s"): when the load should end. */
  readonly loadingUntil: number | null;
  /** Error text for the "error" stage. */
  readonly message: string | null;
  /** The dependency's show_progress. */
  readonly showProgress: "full" | "minimal" | "hidden";
}

/**
 * Gradio's status line: `queue: 3/27 | 4.1/12.0s` while waiting (rank + 1 / queue size, elapsed /
 * expected total), `processing | 1.2/3.0s` while running, just the elapsed time before the first
 * estimate. The total is left out while the server has no estimate yet.
 */
export function formatStatus(status: JobStatus, now: number): string {
  const elapsed = Math.max(0, (now - status.submittedAt) / 1000);
  const total = status.expectedEndAt === null ? null : Math.max(0, (status.expectedEndAt - status.submittedAt) / 1000);
  const time = `${elapsed.toFixed(1)}${total === null ? "" : `/${total.toFixed(1)}`}s`;
  if (status.stage === "queued" && status.rank !== null && status.queueSize !== null) {
    return `queue: ${status.rank + 1}/${status.queueSize} | ${time}`;
  }
  if (status.stage === "running") return `processing | ${time}`;
  if (status.stage === "error") return "Error";
  return time;
}

/** Seconds left until the expected end (never negative), or null without an estimate. */
export function secondsLeft(status: JobStatus, now: number): number | null {
  return status.expectedEndAt === null ? null : Math.max(0, (status.expectedEndAt - now) / 1000);
}

/**
 * The caption the server sends while a worker thread loads the function's model (the engine's
 * `loadingUnit`, src/queue/RunningJob.ts): "loading model", or "loading model, ~N s".
 */
const LOADING_CAPTION = /^loading model(?:, ~(\d+) s)?$/;

/** The N of a "loading model, ~N s" unit; null for "loading model"; undefined for any other unit. */
export function loadingSeconds(unit: ProgressUnit | undefined): number | null | undefined {
  if (unit === undefined || unit.index !== null || unit.progress !== null) return undefined;
  const m = LOADING_CAPTION.exec(unit.desc ?? "");
  if (m === null) return undefined;
  return m[1] === undefined ? null : Number(m[1]);
}

/**
 * The status after a `progress` message received at `now`. A loading unit sets when the load
 * should end (so that its caption counts down) and, the first time, moves the expected end by the
 * load: the call runs after it.
 */
export function withProgress(status: JobStatus, units: readonly ProgressUnit[], now: number): JobStatus {
  const seconds = loadingSeconds(units[0]);
  const loadMs = seconds === undefined || seconds === null ? null : seconds * 1000;
  const moveEnd = loadMs !== null && status.loadingUntil === null && status.expectedEndAt !== null;
  return {
    ...status,
    stage: "running",
    progress: units,
    loadingUntil: loadMs === null ? null : now + loadMs,
    expectedEndAt: moveEnd ? (status.expectedEndAt as number) + loadMs : status.expectedEndAt,
  };
}

/** "loading model, ~N s" counting down to `loadingUntil` (never under 1 s: the load is not over yet). */
export function loadingCaption(loadingUntil: number, now: number): string {
  return `loading model, ~${Math.max(1, Math.ceil((loadingUntil - now) / 1000))} s`;
}

/** A progress message as a fraction 0..1 (null when it carries none) and a caption. */
export function describeProgress(unit: ProgressUnit): { fraction: number | null; caption: string } {
  const desc = unit.desc ?? "";
  if (unit.index !== null && unit.length !== null && unit.length > 0) {
    const caption = `${desc ? `${desc} ` : ""}${unit.index}/${unit.length}${unit.unit ? ` ${unit.unit}` : ""}`;
    return { fraction: Math.min(1, Math.max(0, unit.index / unit.length)), caption };
  }
  if (unit.progress !== null) {
    const f = Math.min(1, Math.max(0, unit.progress));
    return { fraction: f, caption: `${desc ? `${desc} ` : ""}${Math.round(f * 100)}%` };
  }
  return {
    fraction: null,
    caption: desc || (unit.index !== null ? `${unit.index}${unit.unit ? ` ${unit.unit}` : ""}` : ""),
  };
}
