/**
 * The queue engine: admission, pools, FIFO dispatch, batching, running, cancellation and the
 * engine events that tell the outside world about every step of an event's life.
 *
 * Invariants (each has a test):
 * - every accepted event ends in exactly one terminal event (completed | failed | cancelled) and
 *   nothing is emitted for it afterwards (an ended record leaves `records` and every emitting loop
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
 *
 * This class is the engine's face and its composition; the work is done by its parts, which share
 * one {@link EngineCore} (state, emitting, ending an event): {@link Admission} (join, queue full,
 * taking a waiting event back out), {@link Dispatcher} (the dispatch loop, releasing slots and
 * threads) and its {@link JobRunner} (starting, running and finishing jobs), {@link Estimator} (ETAs and
 * their publishing) and, with a shared store only, {@link ClusterLink}.
 */
import { systemClock, type Clock } from "../clock.ts";
import { UsherError } from "../errors.ts";
import { isClusteredStore } from "./QueueCluster.ts";
import { isImmediateStore, type QueuePolicy, type QueueStore } from "./QueueStore.ts";
import { Admission, type JoinResult } from "./Admission.ts";
import { ClusterLink } from "./ClusterLink.ts";
import { Dispatcher } from "./Dispatcher.ts";
import { EngineCore, cancelled } from "./EngineCore.ts";
import { Estimator } from "./Estimator.ts";
import type { EventBus } from "./EventBus.ts";
import type { EventRecord } from "./EventRecord.ts";
import { resolvePools } from "./resolvePools.ts";
import { startDirectCall } from "./callDirect.ts";
import { toUsherError } from "./toUsherError.ts";
import type { CancelReason, EngineFunction, EngineListener, EventInfo, JoinRequest } from "./types.ts";

export type { JoinResult } from "./Admission.ts";

/** Default time running jobs get to finish on {@link QueueEngine.close}, ms. */
export const DEFAULT_CLOSE_GRACE_MS = 30_000;

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
  /**
   * Order and per-client limit, handed to the store (docs/fair-queue.md). Default: the store's own
   * (FIFO for a store never given one).
   */
  readonly policy?: QueuePolicy | undefined;
  /** Refuse a join whose predicted wait before it starts is longer, ms (WAIT_LIMIT). Default null: none. */
  readonly maxWaitMs?: number | null | undefined;
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

/** Result of {@link QueueEngine.runDirect}. */
export interface DirectResult {
  readonly output: unknown;
  readonly durationMs: number;
  readonly averageDurationMs: number | null;
}

/** Runs functions for queued events. See the file comment for its invariants and its parts. */
export class QueueEngine {
  readonly #core: EngineCore;
  readonly #ownsStore: boolean;
  readonly #estimator: Estimator;
  readonly #dispatcher: Dispatcher;
  readonly #admission: Admission;
  /** Null with an in-memory store: none of the cluster's cost. */
  readonly #clusterLink: ClusterLink | null;
  readonly #unsubscribeStore: () => void;
  #closePromise: Promise<void> | null = null;

  constructor(options: QueueEngineOptions) {
    if (!Number.isInteger(options.maxThreads) || options.maxThreads < 1) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `Expected maxThreads to be an integer ≥ 1, got ${String(options.maxThreads)}.`,
      );
    }
    if (!Number.isInteger(options.concurrencyCount) || options.concurrencyCount < 1) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `Expected concurrencyCount to be an integer ≥ 1, got ${String(options.concurrencyCount)}.`,
      );
    }
    const store = options.store;
    this.#ownsStore = options.ownsStore ?? false;
    const { pools, fns } = resolvePools(options.functions, options.concurrencyCount, options.maxThreads);
    if (options.policy !== undefined) store.usePolicy(options.policy);
    const cluster = isClusteredStore(store) ? store.cluster : null;
    const core = new EngineCore({
      store,
      immediate: isImmediateStore(store) ? store : null,
      cluster,
      bus: options.bus ?? null,
      clock: options.clock ?? systemClock,
      maxSize: options.maxSize,
      maxPerClient: options.policy?.maxPerClient ?? null,
      maxWaitMs: options.maxWaitMs ?? null,
      showError: options.showError,
      runJobs: options.runJobs ?? true,
      fns,
      pools,
      maxThreads: options.maxThreads,
    });
    this.#core = core;
    this.#estimator = new Estimator({
      store,
      immediate: core.immediate,
      clock: core.clock,
      statusUpdateMs: options.statusUpdateMs,
      maxWaitMs: core.maxWaitMs,
      fns,
      pools,
      records: core.records,
      jobs: core.jobs,
      emit: (event) => core.emit(event),
      snapshot: cluster === null ? null : cluster.snapshot.bind(cluster),
    });
    // A thread that starts (or ends) loading its model moves the ETAs of everyone behind its job.
    core.onLoadChange = (job) => {
      job.fn.pool.invalidate();
      this.#estimator.requestRound(job.fn.pool);
    };
    this.#dispatcher = new Dispatcher(core, this.#estimator);
    this.#admission = new Admission(core, this.#estimator, this.#dispatcher);
    this.#unsubscribeStore = store.subscribe((change) => {
      // Another process changed the queue: our ETA tails may be wrong and work may be claimable.
      for (const p of pools.values()) {
        p.invalidate();
        // Ranks of our waiting events may have moved (a claim or a removal elsewhere).
        if (core.records.size > 0) this.#estimator.requestRound(p);
      }
      // A claim elsewhere makes nothing claimable: many workers must not all answer it with a claim.
      if (change !== "ranks") this.#dispatcher.dispatch();
    });
    core.bus?.connect((event) => core.deliver(event));
    this.#clusterLink = null;
    if (cluster !== null) {
      this.#clusterLink = new ClusterLink(cluster, core, this.#estimator, this.#dispatcher, (id, reason) =>
        this.cancel(id, reason),
      );
      // Work may already wait in the shared queue (joined before this process started): nothing
      // else would wake this engine until the next join or release somewhere.
      this.#dispatcher.dispatchSoon();
    }
  }

  /** Adds a listener of engine events; returns a function that removes it. */
  on(listener: EngineListener): () => void {
    const core = this.#core;
    core.listeners = [...core.listeners, listener];
    return () => {
      core.listeners = core.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Admits an event. Its first `estimation` is emitted before `started`. Throws UsherError
   * UNKNOWN_FUNCTION, QUEUE_STOPPED (after close) or QUEUE_FULL (with `retryAfterS`).
   */
  async join(req: JoinRequest): Promise<JoinResult> {
    return this.#admission.admit(req);
  }

  /**
   * {@link join}, answered (or thrown) in the call when nothing has to wait: a store that answers
   * in the call (in-memory) and no pool walk pending on it. The join route uses it so that a
   * prediction's answer costs no promise hops; everything else may use `join`.
   */
  admit(req: JoinRequest): JoinResult | Promise<JoinResult> {
    return this.#admission.admit(req);
  }

  /**
   * Cancels an event: a waiting one leaves the queue, a running one ends at once (its output is
   * dropped; its job is aborted when none of its events is left). False if unknown or ended.
   */
  async cancel(eventId: string, reason: CancelReason = "user"): Promise<boolean> {
    const r = this.#core.records.get(eventId);
    // Unknown here: with a shared store another process may hold it.
    if (r === undefined) return this.#clusterLink === null ? false : this.#clusterLink.cancelElsewhere(eventId, reason);
    // A cancelReason already set means another cancel is in flight: that one ends the event.
    if (r.cancelReason !== null) return false;
    switch (r.state) {
      case "running":
        this.#core.end(r, cancelled(r, reason));
        return true;
      case "joining":
        r.cancelReason = reason; // join ends it as soon as the store has answered
        return true;
      case "waiting":
        return this.#admission.cancelWaiting(r, reason);
      case "ended":
        return false;
    }
  }

  /** Cancels every waiting and running event of a session; returns how many. */
  async cancelSession(sessionHash: string, reason: CancelReason = "disconnect"): Promise<number> {
    const core = this.#core;
    const removed = await core.store.removeSession(sessionHash);
    let n = 0;
    for (const job of removed) {
      const r = core.records.get(job.eventId);
      if (r === undefined && core.cluster !== null) {
        // Admitted by another process: its cancelled message still goes out from here.
        core.emit({ type: "cancelled", eventId: job.eventId, sessionHash: job.sessionHash, reason });
        n++;
        continue;
      }
      if (r === undefined || r.state === "ended") continue;
      core.end(r, cancelled(r, reason));
      r.fn.pool.invalidate();
      this.#estimator.requestRound(r.fn.pool);
      n++;
    }
    // Running ones are found through the jobs (at most maxThreads), never by scanning the queue.
    for (const job of core.jobs) {
      for (const r of job.records) {
        if (r.state === "running" && r.sessionHash === sessionHash) {
          core.end(r, cancelled(r, reason));
          n++;
        }
      }
    }
    if (core.cluster !== null) n += await core.cluster.cancelRunningSession(sessionHash, reason).catch(() => 0);
    if (removed.length > 0) this.#dispatcher.dispatch();
    return n;
  }

  /**
   * The no-queue path (POST /run): waits FIFO for a free thread, calls the function once and
   * returns its output (a stream's last chunk). Emits no engine events; progress and logs are
   * dropped. Failures throw an UsherError shaped like {@link toErrorPayload}.
   */
  async runDirect(fnId: number, data: unknown, info: Omit<EventInfo, "eventId">): Promise<DirectResult> {
    const core = this.#core;
    if (core.closed) throw new UsherError("QUEUE_STOPPED");
    const fs = core.fns.get(fnId);
    if (fs === undefined) throw new UsherError("UNKNOWN_FUNCTION", `No function with fn_index ${fnId}.`);
    if (!core.threads.tryTake()) await core.threads.take();
    const startMs = core.clock.now();
    const call = startDirectCall(fs.fn, data, info, core.clock);
    // The thread is held until the function settles, even when the caller already got a timeout.
    const release = (): void => this.#dispatcher.releaseThread();
    void call.settled.then(release, release);
    try {
      const output = await call.result;
      const durationMs = core.clock.now() - startMs;
      core.recordDuration(fs, durationMs);
      fs.pool.invalidate();
      return { output, durationMs, averageDurationMs: fs.duration.valueMs };
    } catch (err) {
      throw toUsherError(err, core.showError);
    }
  }

  /** True while the event waits or runs (not yet ended). */
  isActive(eventId: string): boolean {
    return this.#core.records.has(eventId);
  }

  /** Waiting events in every pool. */
  size(): Promise<number> {
    return this.#core.store.size();
  }

  /**
   * Events of this process per pool id, waiting and running (for metrics; walks every record, so
   * call it on a scrape, not per request). Pools with none are listed with zeros.
   */
  poolCounts(): Map<string, { waiting: number; running: number }> {
    const out = new Map<string, { waiting: number; running: number }>();
    for (const id of this.#core.pools.keys()) out.set(id, { waiting: 0, running: 0 });
    for (const r of this.#core.records.values()) {
      const c = out.get(r.fn.pool.id);
      if (c === undefined) continue;
      if (r.state === "running") c.running++;
      else if (r.state === "waiting" || r.state === "joining") c.waiting++;
    }
    return out;
  }

  /** The slots of the pool `fnId` runs in (its workers), by the engine's pool rules; null if unknown. */
  poolSlots(fnId: number): number | null {
    return this.#core.fns.get(fnId)?.pool.slots ?? null;
  }

  /** The moving average of a function's call duration, ms (its seed before any call), or null. */
  averageDurationMs(fnId: number): number | null {
    return this.#core.fns.get(fnId)?.duration.valueMs ?? null;
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

  async #shutdown(graceMs: number): Promise<void> {
    const core = this.#core;
    core.closed = true;
    this.#unsubscribeStore();
    this.#clusterLink?.close();
    this.#estimator.close();
    const waiting: EventRecord[] = [];
    for (const r of core.records.values()) {
      if (r.state === "joining") r.cancelReason ??= "shutdown";
      else if (r.state === "waiting" && r.cancelReason === null) waiting.push(r);
    }
    // A shared queue keeps its waiting events for the other processes to run (their users read
    // the results through another front): only this process's records of them go.
    if (core.cluster !== null) waiting.splice(0).forEach((r) => core.forget(r));
    await Promise.all(
      waiting.map((r) =>
        this.#admission.cancelWaiting(r, "shutdown").catch(() => {
          // The store cannot remove it; this engine will never run it again anyway.
          core.end(r, cancelled(r, "shutdown"));
        }),
      ),
    );
    if (core.records.size > 0) await this.#endRunning(graceMs);
    if (this.#ownsStore) await core.store.close();
  }

  /** Lets running jobs finish for up to `graceMs`, then cancels what is left; resolves when none is. */
  async #endRunning(graceMs: number): Promise<void> {
    const core = this.#core;
    const drained = new Promise<void>((resolve) => {
      core.onDrained = resolve;
    });
    const endAll = (): void => {
      for (const r of [...core.records.values()]) core.end(r, cancelled(r, "shutdown"));
    };
    // graceMs 0 means now, not "at the next timer tick".
    const grace = graceMs > 0 ? core.clock.setTimeout(endAll, graceMs) : null;
    if (grace === null) endAll();
    core.checkDrained();
    await drained;
    if (grace !== null) core.clock.clearTimeout(grace);
  }
}
