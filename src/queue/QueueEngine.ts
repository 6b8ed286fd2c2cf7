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
 *
 * With a store shared by several processes (src/store/SharedQueueStore.ts, Redis) the same engine
 * runs in every front and worker: an event's record lives in the process that admitted it while it
 * waits (for its estimations) and in the process that claimed it while it runs; the store tells
 * the admitting process when another one claimed or removed it. Events travel through an
 * {@link EventBus} to the process holding the session's stream; cancels of events another process
 * holds are forwarded to it; call durations are shared for ETAs. None of it is touched (beyond a
 * null check) with the in-memory store.
 */
import { randomBytes } from "node:crypto";
import { systemClock, type Clock } from "../clock.ts";
import { UsherError } from "../errors.ts";
import { isImmediateStore, type Claim, type ClaimRequest, type EnqueueResult, type ImmediateQueueStore, type QueueStore, type StoredJob } from "./QueueStore.ts";
import { isClusteredStore, type QueueCluster } from "./QueueCluster.ts";
import { Estimator } from "./Estimator.ts";
import type { EventBus } from "./EventBus.ts";
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
  ErrorPayload,
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
  /**
   * Where waiting events live. The engine owns only this contract: whoever composes it picks the
   * store (src/compose/ gives a new `MemoryStore` unless the app chose one).
   */
  readonly store: QueueStore;
  /** True when the store was made for this engine alone: {@link QueueEngine.close} closes it too. */
  readonly ownsStore?: boolean | undefined;
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
  /**
   * Whether this process claims and runs queued jobs. Default true. False: a front process of a
   * shared store that only admits and streams, while worker processes run the jobs.
   */
  readonly runJobs?: boolean | undefined;
  /** How emitted events reach the listeners. Default: called directly (see {@link EventBus}). */
  readonly bus?: EventBus | undefined;
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
  /** The store again when it answers in the call (in-memory): no promise per queue operation. */
  readonly #immediate: ImmediateQueueStore | null;
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
  /** The other processes of a shared store (null with an in-memory one: none of that cost). */
  readonly #cluster: QueueCluster | null;
  readonly #bus: EventBus | null;
  readonly #runJobs: boolean;
  readonly #unsubscribeCluster: (() => void)[] = [];
  /** With a shared store: the claim of each running job, to restore it if the store loses its data. */
  readonly #claims = new Map<RunningJob, Claim>();

  /** Threads taken by running jobs, runDirect calls and a claim in flight. */
  readonly #threads: ThreadGate;

  #dispatching = false;
  #dispatchAgain = false;
  /** A dispatch is queued as a microtask (see {@link #dispatchSoon}). */
  #dispatchQueued = false;

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
    this.#store = options.store;
    this.#ownsStore = options.ownsStore ?? false;
    this.#immediate = isImmediateStore(this.#store) ? this.#store : null;
    this.#cluster = isClusteredStore(this.#store) ? this.#store.cluster : null;
    this.#bus = options.bus ?? null;
    this.#runJobs = options.runJobs ?? true;
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
      immediate: this.#immediate,
      clock: this.#clock,
      statusUpdateMs: options.statusUpdateMs,
      fns,
      pools,
      records: this.#records,
      emit,
      snapshot: this.#cluster === null ? null : this.#cluster.snapshot.bind(this.#cluster),
    });
    this.#unsubscribeStore = this.#store.subscribe((change) => {
      // Another process changed the queue: our ETA tails may be wrong and work may be claimable.
      for (const p of this.#pools.values()) {
        p.invalidate();
        // Ranks of our waiting events may have moved (a claim or a removal elsewhere).
        if (this.#records.size > 0) this.#estimator.requestRound(p);
      }
      // A claim elsewhere makes nothing claimable: many workers must not all answer it with a claim.
      if (change !== "ranks") this.#dispatch();
    });
    this.#bus?.connect((event) => this.#deliver(event));
    if (this.#cluster !== null) {
      this.#joinCluster(this.#cluster);
      // Work may already wait in the shared queue (joined before this process started): nothing
      // else would wake this engine until the next join or release somewhere.
      this.#dispatchSoon();
    }
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
    return this.admit(req);
  }

  /**
   * {@link join}, answered (or thrown) in the call when nothing has to wait: a store that answers
   * in the call (in-memory) and no pool walk pending on it. The join route uses it so that a
   * prediction's answer costs no promise hops; everything else may use `join`.
   */
  admit(req: JoinRequest): JoinResult | Promise<JoinResult> {
    if (this.#closed) throw new UsherError("QUEUE_STOPPED");
    const fs = this.#fns.get(req.fnId);
    if (fs === undefined) throw new UsherError("UNKNOWN_FUNCTION", `No function with fn_index ${req.fnId}.`);
    const eventId = req.eventId ?? randomBytes(16).toString("hex");
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
    record.joinedAtMs = job.enqueuedAtMs;
    const store = this.#immediate;
    if (store === null) return this.#enqueueAsync(record, job);
    let res: EnqueueResult;
    try {
      res = store.enqueueNow(job, this.#maxSize);
    } catch (err) {
      this.#forget(record);
      throw err;
    }
    return this.#enqueued(record, res);
  }

  async #enqueueAsync(record: EventRecord, job: StoredJob): Promise<JoinResult> {
    let res: EnqueueResult;
    try {
      res = await this.#store.enqueue(job, this.#maxSize);
    } catch (err) {
      this.#forget(record);
      throw err;
    }
    return this.#enqueued(record, res);
  }

  /** The rest of a join once the store has answered. */
  #enqueued(record: EventRecord, res: EnqueueResult): JoinResult | Promise<JoinResult> {
    if (!res.accepted) {
      this.#forget(record);
      throw this.#queueFull(res.totalSize);
    }
    const result: JoinResult = { eventId: record.eventId, rank: res.rank, queueSize: res.poolSize };
    if (record.leftElsewhere) {
      // Another process claimed (or removed) it before the store's answer got here: it is theirs.
      this.#forget(record);
      return result;
    }
    // Not "joining" any more means the store let a dispatch claim it first; that path announced it.
    if (record.state !== "joining") return result;
    record.state = "waiting";
    if (record.cancelReason !== null) {
      const reason = record.cancelReason;
      record.cancelReason = null;
      return this.#cancelWaiting(record, reason).then(() => result);
    }
    const walking = this.#estimator.announceJoin(record, res.rank, res.poolSize, res.running);
    // A store of this process alone has no slot of that pool free while our jobs fill it: a
    // claim would only come back empty (one per join under load). A shared store may have.
    if (this.#cluster !== null || !record.fn.pool.atLimit()) this.#dispatchSoon();
    // A shared store's estimation travels through its bus anyway: the join's answer need not wait for it.
    if (walking !== undefined && this.#cluster === null) return walking.then(() => result);
    return result;
  }

  /**
   * Cancels an event: a waiting one leaves the queue, a running one ends at once (its output is
   * dropped; its job is aborted when none of its events is left). False if unknown or ended.
   */
  async cancel(eventId: string, reason: CancelReason = "user"): Promise<boolean> {
    const r = this.#records.get(eventId);
    // Unknown here: with a shared store another process may hold it.
    if (r === undefined) return this.#cluster === null ? false : this.#cancelElsewhere(this.#cluster, eventId, reason);
    // A cancelReason already set means another cancel is in flight: that one ends the event.
    if (r.cancelReason !== null) return false;
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
      if (r === undefined && this.#cluster !== null) {
        // Admitted by another process: its cancelled message still goes out from here.
        this.#emit({ type: "cancelled", eventId: job.eventId, sessionHash: job.sessionHash, reason });
        n++;
        continue;
      }
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
    if (this.#cluster !== null) n += await this.#cluster.cancelRunningSession(sessionHash, reason).catch(() => 0);
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
      this.#recordDuration(fs, durationMs);
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

  /**
   * Events of this process per pool id, waiting and running (for metrics; walks every record, so
   * call it on a scrape, not per request). Pools with none are listed with zeros.
   */
  poolCounts(): Map<string, { waiting: number; running: number }> {
    const out = new Map<string, { waiting: number; running: number }>();
    for (const id of this.#pools.keys()) out.set(id, { waiting: 0, running: 0 });
    for (const r of this.#records.values()) {
      const c = out.get(r.fn.pool.id);
      if (c === undefined) continue;
      if (r.state === "running") c.running++;
      else if (r.state === "waiting" || r.state === "joining") c.waiting++;
    }
    return out;
  }

  /** The slots of the pool `fnId` runs in (its workers), by the engine's pool rules; null if unknown. */
  poolSlots(fnId: number): number | null {
    return this.#fns.get(fnId)?.pool.slots ?? null;
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
    if (this.#closed || !this.#runJobs) return;
    if (this.#dispatching) {
      this.#dispatchAgain = true;
      return;
    }
    this.#dispatching = true;
    void this.#dispatchLoop();
  }

  /**
   * A join's dispatch, in a microtask rather than in the call: the join's answer is written first
   * (the client sends its next request while the function runs), and the joins of one tick share
   * one dispatch pass. Events still start in admission order: the store's order decides.
   */
  #dispatchSoon(): void {
    if (this.#dispatchQueued) return;
    this.#dispatchQueued = true;
    queueMicrotask(() => {
      this.#dispatchQueued = false;
      this.#dispatch();
    });
  }

  /** Claims and starts jobs while threads and work last; runs in the call with an immediate store. */
  async #dispatchLoop(): Promise<void> {
    const immediate = this.#immediate;
    try {
      do {
        this.#dispatchAgain = false;
        // Take the thread before the await so that a runDirect cannot take it meanwhile.
        while (!this.#closed && this.#threads.tryTake()) {
          let claim: Claim | null;
          try {
            claim = immediate !== null ? immediate.claimNow(this.#claimRequest) : await this.#store.claim(this.#claimRequest);
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
      void this.#releaseSlot(claim.poolId, claim);
      return;
    }
    const now = this.#clock.now();
    const records: EventRecord[] = [];
    const infos: EventInfo[] = [];
    const inputs: unknown[] = [];
    for (const sj of claim.jobs) {
      let r = this.#records.get(sj.eventId);
      if (r === undefined) {
        // Joined through another process sharing the store, which announced it.
        r = new EventRecord(sj.eventId, sj.sessionHash, fs);
        r.announced = this.#cluster !== null;
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
      void this.#releaseSlot(pool.id, claim);
      return;
    }
    const job = new RunningJob(this.#jobHost, fs, records, infos, now);
    for (const r of records) {
      r.state = "running";
      r.job = job;
    }
    pool.running.add(job);
    this.#jobs.add(job);
    if (this.#cluster !== null) this.#claims.set(job, claim);
    const etaMs = fs.duration.valueMs;
    for (const r of records) {
      // A listener may cancel an event while we announce the others.
      if (r.state !== "running") continue;
      if (!r.announced) this.#estimator.announceStart(r);
      if (r.state !== "running") continue;
      const waitedMs = r.joinedAtMs === null ? undefined : now - r.joinedAtMs;
      this.#emit({ type: "started", eventId: r.eventId, sessionHash: r.sessionHash, etaMs, waitedMs });
    }
    const timeoutMs = fs.fn.timeoutMs;
    if (timeoutMs !== undefined && job.live > 0) {
      job.timeoutTimer = this.#clock.setTimeout(() => this.#timeout(job, timeoutMs), timeoutMs);
    }
    void this.#run(job, inputs, claim);
  }

  async #run(job: RunningJob, inputs: readonly unknown[], claim: Claim): Promise<void> {
    const fs = job.fn;
    try {
      if (job.live > 0) {
        const called = fs.fn.invoke(inputs, job);
        const result = called instanceof Promise ? await called : called;
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
      if (this.#cluster !== null) this.#claims.delete(job);
      pool.invalidate();
      const released = this.#releaseSlot(pool.id, claim);
      if (released !== undefined) await released;
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
    this.#recordDuration(job.fn, durationMs);
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
    this.#recordDuration(job.fn, durationMs);
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
  #end(r: EventRecord, event: EngineEvent, force = false): void {
    if (r.state === "ended") return;
    const job = r.job;
    // A started event that fails or is cancelled says how long it ran (metrics read it).
    if (job !== null && (event.type === "failed" || event.type === "cancelled") && event.ranMs === undefined) {
      event = { ...event, ranMs: this.#clock.now() - job.startMs };
    }
    // A coalesced progress value still pending goes out before the terminal event, never after.
    if (job !== null) job.flushProgress();
    r.state = "ended";
    this.#records.delete(r.eventId);
    this.#emit(event, force);
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
    } else if (this.#cluster !== null && (r.state === "waiting" || r.leftElsewhere)) {
      // Claimed by another process meanwhile: that one runs it, and must end it.
      if (r.state === "waiting") this.#forget(r);
      await this.#cluster.cancelEvent(r.eventId, reason).catch(() => null);
    }
    // Not in the store any more: a dispatch claimed it meanwhile and, seeing cancelReason, ended it.
    return true;
  }

  /** Frees a slot in the store, then the thread; undefined when done in the call (immediate store). */
  #releaseSlot(poolId: string, claim?: Claim): Promise<void> | undefined {
    if (this.#immediate !== null) {
      this.#immediate.releaseNow(poolId);
      this.#releaseThread();
      return undefined;
    }
    return this.#releaseSlotAsync(poolId, claim);
  }

  async #releaseSlotAsync(poolId: string, claim?: Claim): Promise<void> {
    try {
      await this.#store.release(poolId, claim);
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
  // a queue shared with other processes (see src/store/SharedQueueStore.ts)

  #joinCluster(cluster: QueueCluster): void {
    this.#unsubscribeCluster.push(
      cluster.onLeft((ids) => {
        for (const id of ids) {
          const r = this.#records.get(id);
          if (r === undefined) continue;
          if (r.state === "joining") r.leftElsewhere = true;
          else if (r.state === "waiting") {
            r.leftElsewhere = true;
            this.#forget(r);
          }
        }
      }),
      // Only events this process runs: a forwarded cancel must never bounce back and forth.
      cluster.onCancelRequest((eventId, reason) => {
        if (this.#records.get(eventId)?.state === "running") void this.cancel(eventId, reason);
      }),
      cluster.onDuration((fnId, durationMs) => {
        const fs = this.#fns.get(fnId);
        if (fs === undefined) return;
        fs.duration.record(durationMs);
        fs.pool.invalidate();
      }),
      cluster.onReconnect((lostData) => this.#afterReconnect(lostData)),
    );
    // Start ETAs from what the other processes measured, not from nothing.
    cluster
      .loadDurations([...this.#fns.keys()])
      .then((samples) => {
        for (const [fnId, list] of samples) {
          const fs = this.#fns.get(fnId);
          if (fs !== undefined) for (const ms of list) fs.duration.record(ms);
        }
      })
      .catch(() => undefined);
  }

  async #cancelElsewhere(cluster: QueueCluster, eventId: string, reason: CancelReason): Promise<boolean> {
    const res = await cluster.cancelEvent(eventId, reason);
    if (res === null) return false;
    // Waiting: removed here, so its cancelled message goes out from here. Running: its process ends it.
    if (res !== "forwarded") this.#emit({ type: "cancelled", eventId, sessionHash: res.sessionHash, reason });
    return true;
  }

  #recordDuration(fs: FnState, durationMs: number): void {
    fs.duration.record(durationMs);
    this.#cluster?.shareDuration(fs.fn.id, durationMs);
  }

  /**
   * The shared store's connection came back. Messages may have been missed: look again for
   * claimable work, refresh every rank, and drop records of events another process took meanwhile.
   * When the store came back empty, every event it held is gone: their users are told now.
   */
  #afterReconnect(lostData: boolean): void {
    if (this.#closed) return;
    for (const p of this.#pools.values()) {
      p.invalidate();
      this.#estimator.requestRound(p);
    }
    this.#dispatch();
    if (lostData) {
      const cluster = this.#cluster;
      if (cluster === null) return;
      // Jobs running here go on: the store learns of them again (their lease, their session's
      // pending set), so that their results still reach their users and a death of this process
      // is still noticed.
      const restoring = [...this.#claims].map(([job, claim]) => {
        const live = new Set(job.records.filter((r) => r.state === "running").map((r) => r.eventId));
        return { ...claim, jobs: claim.jobs.filter((j) => live.has(j.eventId)) };
      });
      const restored = Promise.all(restoring.filter((c) => c.jobs.length > 0).map((c) => cluster.restoreClaim(c))).catch(() => undefined);
      // Events admitted before the break are gone; ones admitted since (the store was already back) are not.
      const ids = [...this.#records.values()].filter((r) => r.state !== "joining" && r.state !== "running").map((r) => r.eventId);
      void restored
        .then(() => cluster.lostEvents(ids))
        .then((lost) => {
          const error: ErrorPayload = {
            message: "The queue store restarted and lost this request. Please try again.",
            title: "Error",
            durationMs: null,
            visible: true,
            code: "STORE_UNAVAILABLE",
          };
          for (const id of lost) {
            const r = this.#records.get(id);
            // Forced: the store no longer knows the event, and would drop a plain message for it.
            if (r !== undefined) this.#end(r, { type: "failed", eventId: r.eventId, sessionHash: r.sessionHash, error }, true);
          }
        })
        .catch(() => undefined);
      return;
    }
    for (const r of this.#records.values()) {
      if (r.state !== "waiting") continue;
      void this.#store.rank(r.eventId).then(
        (rank) => {
          if (rank === null && r.state === "waiting") {
            r.leftElsewhere = true;
            this.#forget(r);
          }
        },
        () => undefined,
      );
    }
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
    for (const unsubscribe of this.#unsubscribeCluster) unsubscribe();
    this.#estimator.close();
    const waiting: EventRecord[] = [];
    for (const r of this.#records.values()) {
      if (r.state === "joining") r.cancelReason ??= "shutdown";
      else if (r.state === "waiting" && r.cancelReason === null) waiting.push(r);
    }
    // A shared queue keeps its waiting events for the other processes to run (their users read
    // the results through another front): only this process's records of them go.
    if (this.#cluster !== null) waiting.splice(0).forEach((r) => this.#forget(r));
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

  #emit(event: EngineEvent, force = false): void {
    if (this.#bus === null) this.#deliver(event);
    else this.#bus.publish(event, force);
  }

  /** Calls every listener with an event (directly, or as it comes off the bus). */
  #deliver(event: EngineEvent): void {
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

