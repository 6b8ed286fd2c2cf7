/**
 * The queue engine: admission, pools, FIFO dispatch, batching, running, cancellation and the
 * engine events that tell the outside world about every step of an event's life.
 *
 * Invariants (each has a test):
 * - every accepted event ends in exactly one terminal event (completed | failed | cancelled) and
 *   nothing is emitted for it afterwards (an ended record leaves `#records` and every emitting loop
 *   checks `state === "running"`);
 * - running work never exceeds `maxThreads` (queued jobs, a batch counting 1, plus `runDirect`
 *   calls) nor a pool's limit; a job keeps its slot and thread until its function really settles;
 * - dispatch is work-conserving without polling: a join, a freed slot or thread, a cancel or a store
 *   wake-up runs a dispatch pass at once; one pass claims while threads and slots allow; a pass in
 *   progress is never doubled (a flag makes it loop again instead).
 */
import { randomUUID } from "node:crypto";
import { systemClock, type Clock } from "../clock.ts";
import { UsherError } from "../errors.ts";
import { MemoryStore } from "../store/MemoryStore.ts";
import type { Claim, ClaimRequest, EnqueueResult, QueueStore, StoredJob } from "../store/QueueStore.ts";
import { Estimator } from "./Estimator.ts";
import { EventRecord } from "./EventRecord.ts";
import type { FnState } from "./FnState.ts";
import type { PoolState } from "./PoolState.ts";
import { resolvePools } from "./resolvePools.ts";
import { RunningJob, cancelledError, type JobHost } from "./RunningJob.ts";
import { ThreadGate } from "./ThreadGate.ts";
import { closeStream, startDirectCall } from "./callDirect.ts";
import { batchStreamError, outputsError, timeoutError } from "./functionErrors.ts";
import { toErrorPayload } from "./toErrorPayload.ts";
import { toUsherError } from "./toUsherError.ts";
import type {
  CancelReason,
  EngineEvent,
  EngineFunction,
  EngineListener,
  EventInfo,
  JoinRequest,
} from "./types.ts";

/** Default time running jobs get to finish on {@link QueueEngine.close}, ms. */
export const DEFAULT_CLOSE_GRACE_MS = 30_000;

const EMPTY_META: Readonly<Record<string, unknown>> = Object.freeze({});

/** Options of {@link QueueEngine}. */
export interface QueueEngineOptions {
  /** The functions, looked up by `.id` (fn_index). */
  readonly functions: readonly EngineFunction[];
  /** Where waiting events live. Default: a new {@link MemoryStore} (closed with the engine). */
  readonly store?: QueueStore | undefined;
  /** Default: {@link systemClock}. */
  readonly clock?: Clock | undefined;
  /** Slots of the shared "default" pool. */
  readonly concurrencyCount: number;
  /** Most WAITING events (running ones do not count); null: unlimited. */
  readonly maxSize: number | null;
  /** Cap on all running work: queued jobs (a batch counts 1) plus runDirect calls. */
  readonly maxThreads: number;
  /** Least time between two estimation messages to one event, ms. */
  readonly statusUpdateMs: number;
  /** Show the messages of errors that are not AppErrors. */
  readonly showError: boolean;
}

/** Result of {@link QueueEngine.join}. */
export interface JoinResult {
  readonly eventId: string;
  /** Waiting events ahead of it in its pool. */
  readonly rank: number;
  /** Waiting events in its pool, itself included. */
  readonly queueSize: number;
}

/** Result of {@link QueueEngine.runDirect}. */
export interface DirectResult {
  readonly output: unknown;
  readonly durationMs: number;
  readonly averageDurationMs: number | null;
}

/** Runs functions for queued events. See the file comment for its invariants. */
export class QueueEngine {
  readonly #store: QueueStore;
  readonly #ownsStore: boolean;
  readonly #clock: Clock;
  readonly #maxSize: number | null;
  readonly #showError: boolean;
  readonly #fns: ReadonlyMap<number, FnState>;
  readonly #pools: ReadonlyMap<string, PoolState>;
  /** Built once: the store reads it on every claim. */
  readonly #claimRequest: ClaimRequest;
  /** Events not yet ended (joining, waiting or running). */
  readonly #records = new Map<string, EventRecord>();
  /** Jobs started and not yet settled. */
  readonly #jobs = new Set<RunningJob>();
  readonly #estimator: Estimator;
  readonly #jobHost: JobHost;
  readonly #unsubscribeStore: () => void;
  #listeners: readonly EngineListener[] = [];

  /** Threads taken by running jobs, runDirect calls and a claim in flight. */
  readonly #threads: ThreadGate;

  #dispatching = false;
  #dispatchAgain = false;

  #closed = false;
  #closePromise: Promise<void> | null = null;
  #onDrained: (() => void) | null = null;

  constructor(options: QueueEngineOptions) {
    if (!Number.isInteger(options.maxThreads) || options.maxThreads < 1) {
      throw new UsherError("INVALID_OPTIONS", `Expected maxThreads to be an integer ≥ 1, got ${String(options.maxThreads)}.`);
    }
    if (!Number.isInteger(options.concurrencyCount) || options.concurrencyCount < 1) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `Expected concurrencyCount to be an integer ≥ 1, got ${String(options.concurrencyCount)}.`,
      );
    }
    this.#store = options.store ?? new MemoryStore();
    this.#ownsStore = options.store === undefined;
    this.#clock = options.clock ?? systemClock;
    this.#maxSize = options.maxSize;
    this.#threads = new ThreadGate(options.maxThreads);
    this.#showError = options.showError;
    const { pools, fns } = resolvePools(options.functions, options.concurrencyCount, options.maxThreads);
    this.#pools = pools;
    this.#fns = fns;
    const poolLimits = new Map<string, number | null>();
    for (const p of pools.values()) poolLimits.set(p.id, p.limit);
    const batchSizes = new Map<number, number>();
    for (const f of fns.values()) batchSizes.set(f.fn.id, f.batchSize);
    this.#claimRequest = { poolLimits, batchSizes };

    const emit = (event: EngineEvent): void => this.#emit(event);
    this.#jobHost = { clock: this.#clock, emit };
    this.#estimator = new Estimator({
      store: this.#store,
      clock: this.#clock,
      statusUpdateMs: options.statusUpdateMs,
      fns,
      pools,
      records: this.#records,
      emit,
    });
    this.#unsubscribeStore = this.#store.subscribe(() => {
      // Another process changed the queue: our ETA tails may be wrong and work may be claimable.
      for (const p of this.#pools.values()) p.invalidate();
      this.#dispatch();
    });
  }

  /** Adds a listener of engine events; returns a function that removes it. */
  on(listener: EngineListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Admits an event. Its first `estimation` is emitted before `started`. Throws UsherError
   * UNKNOWN_FUNCTION, QUEUE_STOPPED (after close) or QUEUE_FULL (with `retryAfterS`).
   */
  async join(req: JoinRequest): Promise<JoinResult> {
    if (this.#closed) throw new UsherError("QUEUE_STOPPED");
    const fs = this.#fns.get(req.fnId);
    if (fs === undefined) throw new UsherError("UNKNOWN_FUNCTION", `No function with fn_index ${req.fnId}.`);
    const eventId = req.eventId ?? randomUUID().replaceAll("-", "");
    if (this.#records.has(eventId)) throw new UsherError("BAD_REQUEST", `Event ${eventId} is already in the queue.`);
    const record = new EventRecord(eventId, req.sessionHash, fs);
    this.#records.set(eventId, record);
    const job: StoredJob = {
      eventId,
      sessionHash: req.sessionHash,
      fnId: fs.fn.id,
      poolId: fs.pool.id,
      data: req.data,
      rootUrl: req.rootUrl,
      meta: req.meta ?? EMPTY_META,
      enqueuedAtMs: this.#clock.now(),
    };
    let res: EnqueueResult;
    try {
      res = await this.#store.enqueue(job, this.#maxSize);
    } catch (err) {
      this.#forget(record);
      throw err;
    }
    if (!res.accepted) {
      this.#forget(record);
      throw this.#queueFull(res.totalSize);
    }
    // Not "joining" any more means the store let a dispatch claim it first; that path announced it.
    if (record.state === "joining") {
      record.state = "waiting";
      if (record.cancelReason !== null) {
        const reason = record.cancelReason;
        record.cancelReason = null;
        await this.#cancelWaiting(record, reason);
      } else {
        const walking = this.#estimator.announceJoin(record, res.rank, res.poolSize);
        this.#dispatch();
        if (walking !== undefined) await walking;
      }
    }
    return { eventId, rank: res.rank, queueSize: res.poolSize };
  }

  /**
   * Cancels an event: a waiting one leaves the queue, a running one ends at once (its output is
   * dropped; its job is aborted when none of its events is left). False if unknown or ended.
   */
  async cancel(eventId: string, reason: CancelReason = "user"): Promise<boolean> {
    const r = this.#records.get(eventId);
    // A cancelReason already set means another cancel is in flight: that one ends the event.
    if (r === undefined || r.cancelReason !== null) return false;
    switch (r.state) {
      case "running":
        this.#end(r, cancelled(r, reason));
        return true;
      case "joining":
        r.cancelReason = reason; // join ends it as soon as the store has answered
        return true;
      case "waiting":
        return this.#cancelWaiting(r, reason);
      case "ended":
        return false;
    }
  }

  /** Cancels every waiting and running event of a session; returns how many. */
  async cancelSession(sessionHash: string, reason: CancelReason = "disconnect"): Promise<number> {
    const removed = await this.#store.removeSession(sessionHash);
    let n = 0;
    for (const job of removed) {
      const r = this.#records.get(job.eventId);
      if (r === undefined || r.state === "ended") continue;
      this.#end(r, cancelled(r, reason));
      r.fn.pool.invalidate();
      this.#estimator.requestRound(r.fn.pool);
      n++;
    }
    // Running ones are found through the jobs (at most maxThreads), never by scanning the queue.
    for (const job of this.#jobs) {
      for (const r of job.records) {
        if (r.state === "running" && r.sessionHash === sessionHash) {
          this.#end(r, cancelled(r, reason));
          n++;
        }
      }
    }
    if (removed.length > 0) this.#dispatch();
    return n;
  }

  /**
   * The no-queue path (POST /run): waits FIFO for a free thread, calls the function once and
   * returns its output (a stream's last chunk). Emits no engine events; progress and logs are
   * dropped. Failures throw an UsherError shaped like {@link toErrorPayload}.
   */
  async runDirect(fnId: number, data: unknown, info: Omit<EventInfo, "eventId">): Promise<DirectResult> {
    if (this.#closed) throw new UsherError("QUEUE_STOPPED");
    const fs = this.#fns.get(fnId);
    if (fs === undefined) throw new UsherError("UNKNOWN_FUNCTION", `No function with fn_index ${fnId}.`);
    if (!this.#threads.tryTake()) await this.#threads.take();
    const startMs = this.#clock.now();
    const call = startDirectCall(fs.fn, data, info, this.#clock);
    // The thread is held until the function settles, even when the caller already got a timeout.
    const release = (): void => this.#releaseThread();
    void call.settled.then(release, release);
    try {
      const output = await call.result;
      const durationMs = this.#clock.now() - startMs;
      fs.duration.record(durationMs);
      fs.pool.invalidate();
      return { output, durationMs, averageDurationMs: fs.duration.valueMs };
    } catch (err) {
      throw toUsherError(err, this.#showError);
    }
  }

  /** True while the event waits or runs (not yet ended). */
  isActive(eventId: string): boolean {
    return this.#records.has(eventId);
  }

  /** Waiting events in every pool. */
  size(): Promise<number> {
    return this.#store.size();
  }

  /** The moving average of a function's call duration, ms (its seed before any call), or null. */
  averageDurationMs(fnId: number): number | null {
    return this.#fns.get(fnId)?.duration.valueMs ?? null;
  }

  /**
   * Stops admitting (QUEUE_STOPPED), cancels waiting events (reason "shutdown"), lets running jobs
   * finish for up to `graceMs` then cancels them ("shutdown"). Resolves when every event has
   * ended; clears every timer of the engine.
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closePromise ??= this.#shutdown(options.graceMs ?? DEFAULT_CLOSE_GRACE_MS);
    return this.#closePromise;
  }

  // -------------------------------------------------------------------------------------------
  // dispatch

  #dispatch(): void {
    if (this.#closed) return;
    if (this.#dispatching) {
      this.#dispatchAgain = true;
      return;
    }
    this.#dispatching = true;
    void this.#dispatchLoop();
  }

  async #dispatchLoop(): Promise<void> {
    try {
      do {
        this.#dispatchAgain = false;
        // Take the thread before the await so that a runDirect cannot take it meanwhile.
        while (!this.#closed && this.#threads.tryTake()) {
          let claim: Claim | null;
          try {
            claim = await this.#store.claim(this.#claimRequest);
          } catch {
            // Store unreachable: give up this pass; the next trigger tries again.
            this.#threads.give();
            this.#dispatchAgain = false;
            break;
          }
          if (claim === null) {
            this.#threads.give();
            break;
          }
          this.#startJob(claim);
        }
      } while (this.#dispatchAgain && !this.#closed);
    } finally {
      this.#dispatching = false;
    }
  }

  #startJob(claim: Claim): void {
    const fs = this.#fns.get(claim.fnId);
    const pool = this.#pools.get(claim.poolId);
    if (fs === undefined || pool === undefined) {
      // A job of a function this engine does not know (another process's app): not ours to run.
      void this.#releaseSlot(claim.poolId);
      return;
    }
    const now = this.#clock.now();
    const records: EventRecord[] = [];
    const infos: EventInfo[] = [];
    const inputs: unknown[] = [];
    for (const sj of claim.jobs) {
      let r = this.#records.get(sj.eventId);
      if (r === undefined) {
        // Joined through another process sharing the store.
        r = new EventRecord(sj.eventId, sj.sessionHash, fs);
        this.#records.set(sj.eventId, r);
      }
      if (r.cancelReason !== null || this.#closed) {
        this.#end(r, cancelled(r, r.cancelReason ?? "shutdown"));
        continue;
      }
      records.push(r);
      infos.push({ eventId: sj.eventId, sessionHash: sj.sessionHash, rootUrl: sj.rootUrl, meta: sj.meta });
      inputs.push(sj.data);
    }
    pool.invalidate();
    this.#estimator.requestRound(pool);
    if (records.length === 0) {
      void this.#releaseSlot(pool.id);
      return;
    }
    const job = new RunningJob(this.#jobHost, fs, records, infos, now);
    for (const r of records) {
      r.state = "running";
      r.job = job;
    }
    pool.running.add(job);
    this.#jobs.add(job);
    const etaMs = fs.duration.valueMs;
    for (const r of records) {
      // A listener may cancel an event while we announce the others.
      if (r.state !== "running") continue;
      if (!r.announced) this.#estimator.announceStart(r);
      if (r.state !== "running") continue;
      this.#emit({ type: "started", eventId: r.eventId, sessionHash: r.sessionHash, etaMs });
    }
    const timeoutMs = fs.fn.timeoutMs;
    if (timeoutMs !== undefined && job.live > 0) {
      job.timeoutTimer = this.#clock.setTimeout(() => this.#timeout(job, timeoutMs), timeoutMs);
    }
    void this.#run(job, inputs);
  }

  async #run(job: RunningJob, inputs: readonly unknown[]): Promise<void> {
    const fs = job.fn;
    try {
      if (job.live > 0) {
        const result = await fs.fn.invoke(inputs, job);
        if (result.kind === "values") {
          job.settled = true;
          this.#complete(job, result.outputs);
        } else if (fs.fn.batch) {
          job.settled = true;
          await closeStream(result.chunks);
          this.#failJob(job, batchStreamError(fs.fn));
        } else {
          await this.#drain(job, result.chunks);
        }
      }
    } catch (err) {
      job.settled = true;
      this.#failJob(job, err);
    } finally {
      job.settled = true;
      job.clearTimers();
      if (job.closing !== null) await job.closing;
      const pool = fs.pool;
      pool.running.delete(job);
      this.#jobs.delete(job);
      pool.invalidate();
      await this.#releaseSlot(pool.id);
    }
  }

  /** Reads a stream to its end: `generating` per chunk, then `completed` with the last one. */
  async #drain(job: RunningJob, chunks: AsyncIterable<unknown>): Promise<void> {
    const it = chunks[Symbol.asyncIterator]();
    job.setIterator(it);
    if (job.live === 0) return; // every event ended while invoke ran: setIterator closed it
    let last: unknown = null;
    for (;;) {
      const step = await it.next();
      // After an abort the iterator is being closed: stop reading and drop what comes.
      if (step.done === true || job.live === 0) break;
      last = step.value;
      const durationMs = this.#clock.now() - job.startMs;
      const averageDurationMs = job.fn.duration.valueMs;
      for (const r of job.records) {
        if (r.state !== "running") continue;
        this.#emit({ type: "generating", eventId: r.eventId, sessionHash: r.sessionHash, output: last, durationMs, averageDurationMs });
      }
    }
    job.settled = true;
    if (job.live === 0) return;
    const durationMs = this.#clock.now() - job.startMs;
    job.fn.duration.record(durationMs);
    const averageDurationMs = job.fn.duration.valueMs;
    for (const r of job.records) {
      if (r.state !== "running") continue;
      this.#end(r, { type: "completed", eventId: r.eventId, sessionHash: r.sessionHash, output: last, durationMs, averageDurationMs });
    }
  }

  #complete(job: RunningJob, outputs: readonly unknown[]): void {
    const n = job.records.length;
    const shapeError = outputsError(job.fn.fn, outputs, n);
    if (shapeError !== null) {
      this.#failJob(job, shapeError);
      return;
    }
    // A job whose events were all cancelled is not a representative run: do not record it.
    if (job.live === 0) return;
    const durationMs = this.#clock.now() - job.startMs;
    job.fn.duration.record(durationMs);
    const averageDurationMs = job.fn.duration.valueMs;
    for (let i = 0; i < n; i++) {
      const r = job.records[i] as EventRecord;
      if (r.state !== "running") continue;
      this.#end(r, { type: "completed", eventId: r.eventId, sessionHash: r.sessionHash, output: outputs[i], durationMs, averageDurationMs });
    }
  }

  #failJob(job: RunningJob, err: unknown): void {
    if (job.live === 0) return;
    const error = toErrorPayload(err, this.#showError);
    for (const r of job.records) {
      if (r.state !== "running") continue;
      this.#end(r, { type: "failed", eventId: r.eventId, sessionHash: r.sessionHash, error });
    }
  }

  #timeout(job: RunningJob, timeoutMs: number): void {
    job.timeoutTimer = null;
    if (job.settled || job.live === 0) return;
    const err = timeoutError(job.fn.fn, timeoutMs);
    job.abortReason = err;
    this.#failJob(job, err);
  }

  // -------------------------------------------------------------------------------------------
  // ending events, slots and threads

  /** Emits the terminal event of `r` (once) and aborts its job if no event of it is left. */
  #end(r: EventRecord, event: EngineEvent): void {
    if (r.state === "ended") return;
    const job = r.job;
    // A coalesced progress value still pending goes out before the terminal event, never after.
    if (job !== null) job.flushProgress();
    r.state = "ended";
    this.#records.delete(r.eventId);
    this.#emit(event);
    if (job !== null && --job.live === 0 && !job.settled) job.abort(job.abortReason ?? cancelledError());
    if (this.#onDrained !== null) this.#checkDrained();
  }

  /** Drops a record that never got into the queue (refused or failed admission). */
  #forget(r: EventRecord): void {
    r.state = "ended";
    this.#records.delete(r.eventId);
    if (this.#onDrained !== null) this.#checkDrained();
  }

  async #cancelWaiting(r: EventRecord, reason: CancelReason): Promise<boolean> {
    r.cancelReason = reason;
    const removed = await this.#store.remove(r.eventId);
    if (removed !== null) {
      this.#end(r, cancelled(r, reason));
      const pool = r.fn.pool;
      pool.invalidate();
      this.#estimator.requestRound(pool);
      this.#dispatch();
    }
    // Not in the store any more: a dispatch claimed it meanwhile and, seeing cancelReason, ended it.
    return true;
  }

  async #releaseSlot(poolId: string): Promise<void> {
    try {
      await this.#store.release(poolId);
    } catch {
      // Store unreachable: its own recovery (e.g. slot leases) must free the slot.
    }
    this.#releaseThread();
  }

  /** A job or direct call ended: its thread goes to a waiting direct call, else to the queue. */
  #releaseThread(): void {
    if (!this.#threads.give()) this.#dispatch();
  }

  // -------------------------------------------------------------------------------------------
  // admission and shutdown

  #queueFull(size: number): UsherError {
    const msg = `Queue is full. Max size is ${String(this.#maxSize)} and size is ${size}.`;
    return new UsherError("QUEUE_FULL", msg, { detail: msg, retryAfterS: this.#retryAfterS() });
  }

  /**
   * Seconds until a place in the queue is expected to free up: the soonest expected end of a
   * running job (a place frees when its slot takes the next waiting event); at least 1.
   */
  #retryAfterS(): number {
    const now = this.#clock.now();
    let soonest = Number.POSITIVE_INFINITY;
    for (const job of this.#jobs) {
      const avg = job.fn.duration.valueMs;
      if (avg !== null) soonest = Math.min(soonest, job.startMs + avg - now);
    }
    return Number.isFinite(soonest) ? Math.max(1, Math.ceil(soonest / 1000)) : 1;
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#closed = true;
    this.#unsubscribeStore();
    this.#estimator.close();
    const waiting: EventRecord[] = [];
    for (const r of this.#records.values()) {
      if (r.state === "joining") r.cancelReason ??= "shutdown";
      else if (r.state === "waiting" && r.cancelReason === null) waiting.push(r);
    }
    await Promise.all(
      waiting.map((r) =>
        this.#cancelWaiting(r, "shutdown").catch(() => {
          // The store cannot remove it; this engine will never run it again anyway.
          this.#end(r, cancelled(r, "shutdown"));
        }),
      ),
    );
    if (this.#records.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#onDrained = resolve;
      });
      const endAll = (): void => {
        for (const r of [...this.#records.values()]) this.#end(r, cancelled(r, "shutdown"));
      };
      // graceMs 0 means now, not "at the next timer tick".
      const grace = graceMs > 0 ? this.#clock.setTimeout(endAll, graceMs) : null;
      if (grace === null) endAll();
      this.#checkDrained();
      await drained;
      if (grace !== null) this.#clock.clearTimeout(grace);
    }
    if (this.#ownsStore) await this.#store.close();
  }

  #checkDrained(): void {
    if (this.#records.size > 0 || this.#onDrained === null) return;
    const resolve = this.#onDrained;
    this.#onDrained = null;
    resolve();
  }

  // -------------------------------------------------------------------------------------------

  #emit(event: EngineEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        // A listener must not throw; if one does, the engine's state must still move on.
        process.emitWarning(`Usher queue engine listener threw: ${String(err)}`, "UsherListenerWarning");
      }
    }
  }
}

function cancelled(r: EventRecord, reason: CancelReason): EngineEvent {
  return { type: "cancelled", eventId: r.eventId, sessionHash: r.sessionHash, reason };
}

