/**
 * The engine's admission: puts a joining event into the store (in the call with a store that
 * answers in the call, through a promise otherwise), refuses it when the queue is full (with a
 * Retry-After from the running jobs' expected ends), sends its first estimation and asks for a
 * dispatch; and takes a waiting event back out of the store when it is cancelled.
 */
import { randomBytes } from "node:crypto";
import { UsherError } from "../errors.ts";
import type { EnqueueResult, StoredJob } from "./QueueStore.ts";
import type { Dispatcher } from "./Dispatcher.ts";
import { cancelled, type EngineCore } from "./EngineCore.ts";
import type { Estimator } from "./Estimator.ts";
import { EventRecord } from "./EventRecord.ts";
import type { FnState } from "./FnState.ts";
import type { CancelReason, JoinRequest } from "./types.ts";

const EMPTY_META: Readonly<Record<string, unknown>> = Object.freeze({});

/** Result of {@link QueueEngine.join}. */
export interface JoinResult {
  readonly eventId: string;
  /** Waiting events ahead of it in its pool. */
  readonly rank: number;
  /** Waiting events in its pool, itself included. */
  readonly queueSize: number;
}

/** Admits events into the store and takes waiting ones back out. See the file comment. */
export class Admission {
  readonly #core: EngineCore;
  readonly #estimator: Estimator;
  readonly #dispatcher: Dispatcher;

  constructor(core: EngineCore, estimator: Estimator, dispatcher: Dispatcher) {
    this.#core = core;
    this.#estimator = estimator;
    this.#dispatcher = dispatcher;
  }

  /** {@link QueueEngine.admit}: answered in the call when the store answers in the call. */
  admit(req: JoinRequest): JoinResult | Promise<JoinResult> {
    const core = this.#core;
    if (core.closed) throw new UsherError("QUEUE_STOPPED");
    const fs = core.fns.get(req.fnId);
    if (fs === undefined) throw new UsherError("UNKNOWN_FUNCTION", `No function with fn_index ${req.fnId}.`);
    const eventId = req.eventId ?? randomBytes(16).toString("hex");
    if (core.records.has(eventId)) throw new UsherError("BAD_REQUEST", `Event ${eventId} is already in the queue.`);
    const record = new EventRecord(eventId, req.sessionHash, fs);
    core.records.set(eventId, record);
    const job: StoredJob = {
      eventId,
      sessionHash: req.sessionHash,
      fnId: fs.fn.id,
      poolId: fs.pool.id,
      data: req.data,
      rootUrl: req.rootUrl,
      meta: req.meta ?? EMPTY_META,
      enqueuedAtMs: core.clock.now(),
      clientKey: req.clientKey,
      priority: req.priority,
    };
    record.joinedAtMs = job.enqueuedAtMs;
    const store = core.immediate;
    if (store === null) return this.#enqueueAsync(record, job);
    let res: EnqueueResult;
    try {
      res = store.enqueueNow(job, core.maxSize);
    } catch (err) {
      core.forget(record);
      throw err;
    }
    return this.#enqueued(record, res);
  }

  /**
   * With a shared store and a thread free here (the pool not full here), the store may claim for
   * this process in the admission's own round trip: the thread goes to that claim, or back.
   */
  async #enqueueAsync(record: EventRecord, job: StoredJob): Promise<JoinResult> {
    const core = this.#core;
    const pool = record.fn.pool;
    const looks = core.cluster !== null && core.runJobs && !pool.atLimit() && core.threads.tryTake();
    let res: EnqueueResult;
    if (looks) pool.claiming++;
    try {
      res = await core.store.enqueue(job, core.maxSize, looks ? core.claimRequest : undefined);
    } catch (err) {
      if (looks) {
        pool.claiming--;
        this.#dispatcher.releaseThread();
      }
      core.forget(record);
      throw err;
    }
    if (looks) {
      // Its job (if any) counts as running before the claim stops counting: no gap for a join to look in.
      if (res.accepted && res.claim !== undefined) this.#dispatcher.startClaimed(res.claim);
      pool.claiming--;
      if (!res.accepted || res.claim === undefined) this.#dispatcher.releaseThread();
    }
    return this.#enqueued(record, res, looks);
  }

  /** The rest of a join once the store has answered. */
  #enqueued(record: EventRecord, res: EnqueueResult, looked = false): JoinResult | Promise<JoinResult> {
    const core = this.#core;
    if (!res.accepted) {
      core.forget(record);
      throw res.reason === "client_limit" ? this.#clientLimit(record) : this.#queueFull(res.totalSize);
    }
    const result: JoinResult = { eventId: record.eventId, rank: res.rank, queueSize: res.poolSize };
    if (record.leftElsewhere) {
      // Another process claimed (or removed) it before the store's answer got here: it is theirs.
      core.forget(record);
      return result;
    }
    // Not "joining" any more means the store let a dispatch claim it first; that path announced it.
    if (record.state !== "joining") return result;
    record.state = "waiting";
    if (record.cancelReason !== null) {
      const reason = record.cancelReason;
      record.cancelReason = null;
      return this.cancelWaiting(record, reason).then(() => result);
    }
    const walking = this.#estimator.announceJoin(record, res.rank, res.poolSize, res.running);
    if (walking === undefined && record.refusedWaitMs !== null) return this.#refuseWait(record, result);
    // A store of this process alone has no slot of that pool free while our jobs fill it: a
    // claim would only come back empty (one per join under load). A shared store may have.
    // (Its pool being full here means it is full everywhere: only another pool could have work to claim.)
    const pool = record.fn.pool;
    const claimable = !pool.atLimit() || (core.cluster !== null && core.claimRequest.poolLimits.size > 1);
    if (!looked && claimable) this.#dispatcher.dispatchSoon();
    if (walking === undefined) return result;
    // A shared store's estimation travels through its bus anyway: the join's answer need not wait
    // for it, unless the answer depends on it (maxWaitMs).
    if (core.cluster === null || core.maxWaitMs !== null) {
      return walking.then(() => (record.refusedWaitMs === null ? result : this.#refuseWait(record, result)));
    }
    return result;
  }

  /**
   * Takes back an event whose predicted wait is over `maxWaitMs` and refuses its join (WAIT_LIMIT).
   * With the in-memory store this happens in the call. One that a shared store let another
   * process claim meanwhile is not refused: it has started.
   */
  #refuseWait(record: EventRecord, result: JoinResult): JoinResult | Promise<JoinResult> {
    const core = this.#core;
    const waitMs = record.refusedWaitMs ?? 0;
    const pool = record.fn.pool;
    const after = (removed: StoredJob | null): JoinResult => {
      if (removed === null) return result;
      core.forget(record);
      // The tail placed it: it must not count for the joins after it.
      pool.invalidate();
      throw waitLimitError(waitMs, core.maxWaitMs ?? 0);
    };
    const immediate = core.immediate;
    if (immediate !== null) return after(immediate.removeNow(record.eventId));
    return core.store.remove(record.eventId).then(after);
  }

  /** Takes a waiting event out of the store and ends it as cancelled; true (it ends either way). */
  async cancelWaiting(r: EventRecord, reason: CancelReason): Promise<boolean> {
    const core = this.#core;
    r.cancelReason = reason;
    const removed = await core.store.remove(r.eventId);
    if (removed !== null) {
      core.end(r, cancelled(r, reason));
      const pool = r.fn.pool;
      pool.invalidate();
      this.#estimator.requestRound(pool);
      this.#dispatcher.dispatch();
    } else if (core.cluster !== null && (r.state === "waiting" || r.leftElsewhere)) {
      // Claimed by another process meanwhile: that one runs it, and must end it.
      if (r.state === "waiting") core.forget(r);
      await core.cluster.cancelEvent(r.eventId, reason).catch(() => null);
    }
    // Not in the store any more: a dispatch claimed it meanwhile and, seeing cancelReason, ended it.
    return true;
  }

  #clientLimit(record: EventRecord): UsherError {
    const n = this.#core.maxPerClient ?? 0;
    const msg = `You already have ${n} request${n === 1 ? "" : "s"} waiting or running; wait for one to finish.`;
    return new UsherError("CLIENT_LIMIT", msg, { detail: msg, retryAfterS: this.#retryAfterS(record.fn) });
  }

  #queueFull(size: number): UsherError {
    const msg = `Queue is full. Max size is ${String(this.#core.maxSize)} and size is ${size}.`;
    return new UsherError("QUEUE_FULL", msg, { detail: msg, retryAfterS: this.#retryAfterS() });
  }

  /**
   * Seconds until a place in the queue is expected to free up: the soonest expected end of a
   * running job (a place frees when its slot takes the next waiting event); at least 1.
   */
  #retryAfterS(fn?: FnState): number {
    const now = this.#core.clock.now();
    let soonest = Number.POSITIVE_INFINITY;
    for (const job of this.#core.jobs) {
      if (fn !== undefined && job.fn.pool !== fn.pool) continue;
      const avg = job.fn.duration.valueMs;
      // A job whose thread loads its model ends after the rest of the load.
      if (avg !== null) soonest = Math.min(soonest, job.expectedEndMs(avg, now) - now);
    }
    return Number.isFinite(soonest) ? Math.max(1, Math.ceil(soonest / 1000)) : 1;
  }
}

/** WAIT_LIMIT, with the predicted wait and the limit in words, and when to retry. */
export function waitLimitError(waitMs: number, limitMs: number): UsherError {
  const retryAfterS = Math.max(1, Math.ceil((waitMs - limitMs) / 1000));
  const msg = `Busy: about ${inWords(waitMs)} to wait, over this demo's limit of ${inWords(limitMs)}; try again in ${retryAfterS} s.`;
  return new UsherError("WAIT_LIMIT", msg, { detail: msg, retryAfterS });
}

/** "45 s" under two minutes, else "3 min" (rounded up: a wait is not told shorter than it is). */
function inWords(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}
