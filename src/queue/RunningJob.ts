/**
 * One call of a function for one or more events (a batch), from claim until invoke settles. It is
 * the {@link InvokeContext} handed to the function: progress and log calls land here and go out
 * to the job's events that are still live. A worker call also tells it when its thread loads the
 * function's model ({@link RunningJob.loading}): the job's users see "loading model, ~N s" and the
 * ETA simulation counts the rest of the load ({@link RunningJob.expectedEndMs}).
 */
import type { Clock, TimerHandle } from "../clock.ts";
import { UsherError } from "../errors.ts";
import type { EventRecord } from "./EventRecord.ts";
import type { FnState } from "./FnState.ts";
import type { Claim } from "./QueueStore.ts";
import type { EngineEvent, EventInfo, InvokeContext, LogLevel, LogOptions, ProgressUnit } from "./types.ts";

/** Least time between two progress messages of one job, ms; the latest value wins in between. */
export const PROGRESS_INTERVAL_MS = 50;

/** Default time a log toast stays, ms. */
export const LOG_TOAST_MS = 10_000;

const LOG_TITLES: Readonly<Record<LogLevel, string>> = { info: "Info", warning: "Warning", success: "Success" };

/** What a job needs from the engine. */
export interface JobHost {
  readonly clock: Clock;
  emit(event: EngineEvent): void;
  /** The job's thread started or ended loading its model: the ETAs of its pool moved. */
  onLoadChange(job: RunningJob): void;
}

/** A running call. The engine owns the lifecycle fields; the function sees only {@link InvokeContext}. */
export class RunningJob implements InvokeContext {
  readonly fn: FnState;
  /** The job's events, same order as `events` and the inputs. */
  readonly records: readonly EventRecord[];
  readonly events: readonly EventInfo[];
  readonly startMs: number;
  /** Events of the job that have not ended. At 0 before `settled`, the job is aborted. */
  live: number;
  /** The function has finished (invoke settled, stream ended): ending events no longer aborts it. */
  settled = false;
  /** Why the job is aborted when its last event ends (TIMEOUT sets its own; else CANCELLED). */
  abortReason: UsherError | null = null;
  timeoutTimer: TimerHandle | null = null;
  /** Resolves once a stream closed by {@link abort} has run its cleanup. */
  closing: Promise<unknown> | null = null;
  /** Clock time the job's thread started loading its model, or null while it is not loading. */
  loadStartMs: number | null = null;
  /** Expected length of the load in progress, ms (null: unknown). */
  loadExpectedMs: number | null = null;
  /** Time spent in finished loads, ms: not part of the call's duration (the ETA average leaves it out). */
  loadedMs = 0;
  /**
   * With a shared store: the claim the job runs under, to restore it if the store loses its data
   * (a field, not a map of jobs: a map emptied at each job's end makes V8 allocate a new table).
   */
  claim: Claim | null = null;

  readonly #host: JobHost;
  #controller: AbortController | null = null;
  #aborted: UsherError | null = null;
  #iterator: AsyncIterator<unknown> | null = null;
  #pendingProgress: readonly ProgressUnit[] | null = null;
  #progressTimer: TimerHandle | null = null;
  #lastProgressAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    host: JobHost,
    fn: FnState,
    records: readonly EventRecord[],
    events: readonly EventInfo[],
    startMs: number,
  ) {
    this.#host = host;
    this.fn = fn;
    this.records = records;
    this.events = events;
    this.startMs = startMs;
    this.live = records.length;
  }

  /** Created on first use: most functions never look at it, and an AbortController is not free. */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#aborted !== null) this.#controller.abort(this.#aborted);
    }
    return this.#controller.signal;
  }

  /** True once aborted (every event ended before the function finished). */
  get aborted(): boolean {
    return this.#aborted !== null;
  }

  // Methods, not arrow properties: only the engine, EventContext and WorkerCall call them, always
  // as methods, and three closures per job showed in the profile of an identity prediction.
  progress(units: readonly ProgressUnit[]): void {
    if (this.live === 0 || this.settled) return;
    const now = this.#host.clock.now();
    if (this.#progressTimer === null && now - this.#lastProgressAtMs >= PROGRESS_INTERVAL_MS) {
      this.#lastProgressAtMs = now;
      this.#sendProgress(units);
      return;
    }
    this.#pendingProgress = units;
    if (this.#progressTimer === null) {
      this.#progressTimer = this.#host.clock.setTimeout(
        () => this.#onProgressTimer(),
        this.#lastProgressAtMs + PROGRESS_INTERVAL_MS - now,
      );
    }
  }

  log(level: LogLevel, message: string, options?: LogOptions): void {
    if (this.live === 0 || this.settled) return;
    const title = options?.title ?? LOG_TITLES[level] ?? "Info";
    const durationMs = options?.durationMs === undefined ? LOG_TOAST_MS : options.durationMs;
    const visible = options?.visible ?? true;
    for (const r of this.records) {
      if (r.state !== "running") continue;
      this.#host.emit({
        type: "log",
        eventId: r.eventId,
        sessionHash: r.sessionHash,
        level,
        message,
        title,
        durationMs,
        visible,
      });
    }
  }

  /** The job's thread loads the function's model first, for about `expectedMs` (null: unknown). */
  loading(expectedMs: number | null): void {
    if (this.settled || this.loadStartMs !== null) return;
    this.loadStartMs = this.#host.clock.now();
    this.loadExpectedMs = expectedMs;
    this.#host.onLoadChange(this);
    this.progress([loadingUnit(expectedMs)]);
  }

  /** The load told by {@link loading} is over. */
  loaded(): void {
    const startMs = this.loadStartMs;
    if (startMs === null) return;
    this.loadedMs += this.#host.clock.now() - startMs;
    this.loadStartMs = null;
    this.loadExpectedMs = null;
    this.#host.onLoadChange(this);
    // No unit: the page drops the "loading model" caption (the function's own progress follows).
    this.progress([]);
  }

  /**
   * When the job is expected to end, for the ETA simulation, given its call's expected duration
   * `avgMs` (null: unknown). While loading: the rest of the load (at least nothing: a load past its
   * estimate ends now), then the call. Else its start plus the loads it finished plus the call; a
   * call of unknown duration counts as ending now.
   */
  expectedEndMs(avgMs: number | null, nowMs: number): number {
    const loadStartMs = this.loadStartMs;
    if (loadStartMs === null) return avgMs === null ? nowMs : this.startMs + this.loadedMs + avgMs;
    return Math.max(nowMs, loadStartMs + (this.loadExpectedMs ?? 0)) + (avgMs ?? 0);
  }

  /** Sends a pending (coalesced) progress value now. Called before any terminal event of the job. */
  flushProgress(): void {
    const units = this.#pendingProgress;
    if (units === null) return;
    this.#pendingProgress = null;
    if (this.#progressTimer !== null) {
      this.#host.clock.clearTimeout(this.#progressTimer);
      this.#progressTimer = null;
    }
    this.#lastProgressAtMs = this.#host.clock.now();
    this.#sendProgress(units);
  }

  /** Remembers the stream's iterator so that {@link abort} can close it. */
  setIterator(it: AsyncIterator<unknown>): void {
    this.#iterator = it;
    if (this.#aborted !== null) this.#closeIterator();
  }

  /**
   * Every event has ended while the function still runs: abort its signal and close its stream.
   * Its slot stays taken until the function really settles (the engine waits for that).
   */
  abort(reason: UsherError): void {
    if (this.#aborted !== null) return;
    this.#aborted = reason;
    this.clearTimers();
    this.#controller?.abort(reason);
    this.#closeIterator();
  }

  /** Cancels the timeout and progress timers. */
  clearTimers(): void {
    const clock = this.#host.clock;
    if (this.timeoutTimer !== null) {
      clock.clearTimeout(this.timeoutTimer);
      this.timeoutTimer = null;
    }
    if (this.#progressTimer !== null) {
      clock.clearTimeout(this.#progressTimer);
      this.#progressTimer = null;
    }
    this.#pendingProgress = null;
  }

  #onProgressTimer(): void {
    this.#progressTimer = null;
    this.flushProgress();
  }

  #sendProgress(units: readonly ProgressUnit[]): void {
    for (const r of this.records) {
      if (r.state !== "running") continue;
      this.#host.emit({ type: "progress", eventId: r.eventId, sessionHash: r.sessionHash, progress: units });
    }
  }

  #closeIterator(): void {
    const it = this.#iterator;
    if (it === null || this.closing !== null || typeof it.return !== "function") return;
    // An async generator queues return() behind a pending next(); its finally blocks run then.
    try {
      this.closing = Promise.resolve(it.return()).catch(noop);
    } catch {
      this.closing = Promise.resolve();
    }
  }
}

/** The start of a loading unit's `desc` (the page, ui/src/runtime/JobStatus.ts, recognises it). */
export const LOADING_DESC = "loading model";

/**
 * The progress unit a loading job's users get (a plain `progress` message, so every Gradio client
 * shows its `desc`): "loading model, ~N s" with N the expected load rounded up to a second, or
 * "loading model" when no load was measured or declared yet.
 */
export function loadingUnit(expectedMs: number | null): ProgressUnit {
  const desc = expectedMs === null ? LOADING_DESC : `${LOADING_DESC}, ~${Math.max(1, Math.ceil(expectedMs / 1000))} s`;
  return { index: null, length: null, unit: null, progress: null, desc };
}

/** The reason a job is aborted when all its events were cancelled. */
export function cancelledError(): UsherError {
  return new UsherError("CANCELLED", "Every event of this job was cancelled.");
}

function noop(): void {}
