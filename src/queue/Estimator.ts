/**
 * Queue position and ETA messages (`estimation`) for waiting events.
 *
 * ETA: `rankEtaMs` is the expected time until the event's RESULT, from a simulation of its pool
 * ({@link EtaTail}): slots free when their running job is expected to end, waiting events are
 * grouped into batches the way claim will group them, each batch takes the earliest free slot.
 *
 * When messages go out:
 * - on join, the new event gets one at once. Its ETA comes from the pool's tail (O(log slots))
 *   when the tail is current; after a change other than an append (a job ended, a cancel, a
 *   dispatch) the pool is walked again once, and the following joins extend that walk. For pools
 *   longer than {@link EXACT_WALK_MAX}, a tail younger than {@link STALE_TAIL_MAX_AGE_MS} is used
 *   even if stale (with "nothing starts before now" as correction), so that a long queue never
 *   costs a walk per join; broadcast rounds rebuild it.
 * - when ranks in a pool change, a broadcast round is requested. Rounds of one pool are spaced by
 *   `statusUpdateMs` (statusUpdateMs = 0: one per macrotask, through a 0 ms clock timer, so many
 *   dispatches in a row cost one walk). A round walks the pool once and sends an update to each
 *   event whose rank changed (or whose ETA moved by more than 10%), unless that event got a message
 *   less than statusUpdateMs ago; then a later round updates it. So each waiting event gets at most
 *   one message per statusUpdateMs however many dispatches happen.
 * - a round is time-sliced: the walk decides who gets a message, then the messages go out in pool
 *   order in slices of about {@link ROUND_SLICE_MS} of loop time (the clock is read every
 *   {@link ROUND_CLOCK_EVERY} sends; a slice's size also follows the pace of the one before, whose
 *   writes may partly happen after it, see `#sendSliced`), yielding to the event loop between slices (`clock.defer`,
 *   setImmediate semantics) so that running jobs' I/O, joins and cancels are served while 10 000
 *   users are told their new rank. A small round is one slice, sent synchronously after its walk.
 *   At send time the event must still be waiting, announced and not being cancelled (no
 *   estimation ever follows `started` or a terminal event), and its ETA is taken from that moment.
 *   A round stays "running" until its last slice: a change meanwhile marks `roundAgain` and a
 *   fresh round (a new walk) follows it, so rounds of one pool never interleave and no change is
 *   lost; ranks sent by the slices after such a change are corrected by that round. Rounds are
 *   spaced by statusUpdateMs from the END of the previous round, so a slow round cannot make
 *   two messages to one event closer than statusUpdateMs. Closing stops a round between slices.
 */
import type { Clock } from "../clock.ts";
import type { ImmediateQueueStore, QueueStore } from "./QueueStore.ts";
import type { PoolSnapshot } from "./QueueCluster.ts";
import { EtaTail } from "./EtaTail.ts";
import type { EventRecord } from "./EventRecord.ts";
import type { FnState } from "./FnState.ts";
import type { PoolState } from "./PoolState.ts";
import type { RunningJob } from "./RunningJob.ts";
import type { EngineEvent } from "./types.ts";

/**
 * Pools at most this long get an exact walk at join whenever their tail is stale. Longer ones use
 * a recent tail: at cc 512 with 512 waiting, a walk per join (every dispatch makes the tail stale)
 * was a fifth of the server's CPU, while a tail under a second old misplaces a join by the drift of
 * the jobs started since (the burst's first-ETA error stayed at 0.6%).
 */
export const EXACT_WALK_MAX = 64;
/** Longest a stale tail of a long pool serves joins before a walk, ms. */
export const STALE_TAIL_MAX_AGE_MS = 1000;
/** An unchanged rank is re-sent only if the expected result time moved by more than this fraction of the ETA. */
export const ETA_CHANGE_RATIO = 0.1;
/** Loop time one slice of a status round may take (its walk included) before it yields, ms. */
export const ROUND_SLICE_MS = 8;
/** Sends of a round between two looks at the clock; also the fewest sends of a slice. */
export const ROUND_CLOCK_EVERY = 32;
/** Most sends of a round's first slice, before its pace is known. */
export const ROUND_FIRST_SLICE_MAX = 256;

/** What the estimator needs from the engine. */
export interface EstimatorHost {
  readonly store: QueueStore;
  /** The store again when it answers in the call (in-memory): walks then run without a promise. */
  readonly immediate: ImmediateQueueStore | null;
  readonly clock: Clock;
  readonly statusUpdateMs: number;
  /**
   * `maxWaitMs`: a join whose first estimate says it would wait longer before it starts is not
   * told that estimate; its record's `refusedWaitMs` says how long instead (the engine refuses it).
   */
  readonly maxWaitMs: number | null;
  readonly fns: ReadonlyMap<number, FnState>;
  readonly records: ReadonlyMap<string, EventRecord>;
  readonly pools: ReadonlyMap<string, PoolState>;
  /** This engine's running jobs, every pool's. */
  readonly jobs: ReadonlySet<RunningJob>;
  /**
   * With a store shared by several processes: the pool as all of them see it (running jobs of
   * other processes included). Null: the store's waiting list and this engine's running jobs.
   */
  readonly snapshot: ((poolId: string) => Promise<PoolSnapshot>) | null;
  emit(event: EngineEvent): void;
}

/** What a walk needs of a waiting event. */
interface WaitingRef {
  readonly eventId: string;
  readonly fnId: number;
}

type WalkVisitor = (job: WaitingRef, rank: number, size: number, endMs: number | null, nowMs: number) => void;

/** Computes ETAs and sends `estimation` events. See the file comment. */
export class Estimator {
  readonly #host: EstimatorHost;
  #closed = false;

  constructor(host: EstimatorHost) {
    this.#host = host;
  }

  /**
   * Sends the first estimation of a just-admitted event (`rank`, `poolSize` from the store).
   * Returns undefined when done, or a promise when the pool had to be walked first.
   */
  announceJoin(
    r: EventRecord,
    rank: number,
    poolSize: number,
    running?: readonly { readonly fnId: number; readonly ageMs: number }[],
  ): Promise<void> | undefined {
    const fs = r.fn;
    const pool = fs.pool;
    const now = this.#host.clock.now();
    if (rank < poolSize - 1) {
      // It went ahead of others (fair share, priority): the tail, which places joins at the end,
      // does not know where it is, and those behind it have moved back.
      pool.invalidate();
      this.requestRound(pool);
      return this.#walkForJoin(r);
    }
    // With other processes, running jobs are known from the store: its answer (`running`) or a walk.
    if (rank === 0 && (this.#host.snapshot === null || running !== undefined)) {
      // Head of its pool with a slot free here (a pool of this process alone): it starts as soon as
      // it is claimed, so its ETA is its own call. No tail is built: that costs a walk of the
      // running jobs, on every join of a busy pool with many slots.
      if (running === undefined && pool.running < pool.slots) {
        const avg = fs.duration.valueMs;
        this.#first(r, 0, poolSize, avg === null ? null : toEta(now + avg, now), now);
        return undefined;
      }
      // Head of a full pool: the simulation is just the running jobs, and it gives a fresh tail.
      const tail =
        running === undefined ? this.#newTail(pool, now) : this.#sharedTail(pool, now, { waiting: [], running });
      pool.tail = tail;
      pool.tailDirty = false;
      pool.version++;
      this.#first(r, 0, poolSize, toEta(tail.place(fs.fn.id, fs.duration.valueMs, fs.batchSize, now), now), now);
      return undefined;
    }
    const tail = pool.tail;
    if (
      tail !== null &&
      (!pool.tailDirty ||
        // A walk of a shared pool is a store round trip reading the whole pool: a recent tail does.
        ((poolSize > EXACT_WALK_MAX || this.#host.snapshot !== null) && now - tail.builtAtMs < STALE_TAIL_MAX_AGE_MS))
    ) {
      pool.version++;
      this.#first(r, rank, poolSize, toEta(tail.place(fs.fn.id, fs.duration.valueMs, fs.batchSize, now), now), now);
      return undefined;
    }
    return this.#walkForJoin(r);
  }

  /** Fallback for a store that let an event start before its join was answered: rank 0, ETA its call. */
  announceStart(r: EventRecord): void {
    this.#send(r, 0, 1, r.fn.duration.valueMs, this.#host.clock.now());
  }

  /** Ranks in `pool` changed: make sure a broadcast round runs (see the file comment for pacing). */
  requestRound(pool: PoolState): void {
    if (this.#closed) return;
    if (pool.roundRunning) {
      pool.roundAgain = true;
      return;
    }
    if (pool.roundTimer !== null) return;
    const clock = this.#host.clock;
    const delayMs = Math.max(0, pool.lastRoundAtMs + this.#host.statusUpdateMs - clock.now());
    pool.roundTimer = clock.setTimeout(() => void this.#round(pool), delayMs);
  }

  /** Stops every round and clears their timers. */
  close(): void {
    this.#closed = true;
    for (const pool of this.#host.pools.values()) {
      if (pool.roundTimer !== null) this.#host.clock.clearTimeout(pool.roundTimer);
      pool.roundTimer = null;
      pool.roundAgain = false;
    }
  }

  #walkForJoin(r: EventRecord): Promise<void> | undefined {
    const immediate = this.#host.immediate;
    if (immediate !== null && this.#host.snapshot === null) {
      // The message goes out after the walk: its listeners must not see the store mid-visit.
      let rank = -1;
      let size = 0;
      let endMs: number | null = null;
      let at = 0;
      this.#walkNow(r.fn.pool, immediate, (job, i, n, end, now) => {
        if (job.eventId !== r.eventId) return;
        rank = i;
        size = n;
        endMs = end;
        at = now;
      });
      if (rank >= 0 && r.state === "waiting" && !r.announced) this.#first(r, rank, size, toEta(endMs, at), at);
      return undefined;
    }
    const visit: WalkVisitor = (job, rank, size, endMs, now) => {
      if (job.eventId === r.eventId && r.state === "waiting" && !r.announced)
        this.#first(r, rank, size, toEta(endMs, now), now);
    };
    return this.#walk(r.fn.pool, visit).catch(() => {
      // The store could not list the pool: the event still waits; the next round will tell it.
    });
  }

  async #round(pool: PoolState): Promise<void> {
    const host = this.#host;
    pool.roundTimer = null;
    if (this.#closed) return;
    pool.lastRoundAtMs = host.clock.now();
    pool.roundRunning = true;
    let deferred = false;
    // Who gets a message, decided by the walk; sent afterwards, in slices (parallel arrays: no
    // object per message).
    const due: EventRecord[] = [];
    const ranks: number[] = [];
    const ends: (number | null)[] = [];
    let size = 0;
    let walkStartMs = 0;
    try {
      await this.#walk(pool, (job, rank, n, endMs, now) => {
        size = n;
        walkStartMs = now;
        const r = host.records.get(job.eventId);
        // Events of other processes, not yet announced, or being cancelled get nothing from a round.
        if (r === undefined || r.state !== "waiting" || !r.announced || r.cancelReason !== null) return;
        if (rank === r.lastRank && !etaMoved(r, toEta(endMs, now), now)) return;
        if (now - r.lastEstAtMs < host.statusUpdateMs) {
          deferred = true;
          return;
        }
        due.push(r);
        ranks.push(rank);
        ends.push(endMs);
      });
      if (due.length > 0) await this.#sendSliced(due, ranks, ends, size, walkStartMs);
    } catch {
      // Store unreachable: the next change requests another round.
    } finally {
      pool.roundRunning = false;
      // The next round is spaced from this one's last message.
      pool.lastRoundAtMs = host.clock.now();
      if (deferred || pool.roundAgain) {
        pool.roundAgain = false;
        this.requestRound(pool);
      }
    }
  }

  /**
   * Sends a round's messages in order, in slices (see the file comment). A slice ends when it has
   * used {@link ROUND_SLICE_MS} (the first one counted from `sliceStartMs`, the walk's start), or
   * when it has sent as many messages as the previous slice's pace allows: part of a message's
   * cost comes after the slice (an HTTP response hands its bytes to the kernel at the end of the
   * tick), so the time from one slice's start to the next one's is what a slice really held the
   * loop, and the next slice is sized from it. Each event is checked again at its turn: one that
   * started, ended or is being cancelled meanwhile is skipped.
   */
  async #sendSliced(
    due: readonly EventRecord[],
    ranks: readonly number[],
    ends: readonly (number | null)[],
    size: number,
    sliceStartMs: number,
  ): Promise<void> {
    const clock = this.#host.clock;
    let now = clock.now();
    let limit = ROUND_FIRST_SLICE_MAX;
    let sent = 0;
    for (let i = 0; i < due.length; i++) {
      const look = sent % ROUND_CLOCK_EVERY === 0;
      if (look) now = clock.now();
      if (sent >= limit || (look && now - sliceStartMs >= ROUND_SLICE_MS)) {
        await new Promise<void>((resolve) => clock.defer(resolve));
        now = clock.now();
        // Messages the last slice's real time (its deferred part included) allows in one slice.
        const perSendMs = sent > 0 ? (now - sliceStartMs) / sent : 0;
        limit =
          perSendMs > 0 ? Math.max(ROUND_CLOCK_EVERY, Math.floor(ROUND_SLICE_MS / perSendMs)) : ROUND_FIRST_SLICE_MAX;
        sliceStartMs = now;
        sent = 0;
      }
      if (this.#closed) return;
      const r = due[i] as EventRecord;
      if (r.state !== "waiting" || !r.announced || r.cancelReason !== null) continue;
      this.#send(r, ranks[i] as number, size, toEta(ends[i] ?? null, now), now);
      sent++;
    }
  }

  /** Reads the pool's waiting list and simulates it in order, rebuilding the pool's tail. */
  async #walk(pool: PoolState, visit: WalkVisitor): Promise<void> {
    const host = this.#host;
    const version = pool.version;
    const snapshot = host.snapshot === null ? null : await host.snapshot(pool.id);
    const list: readonly WaitingRef[] = snapshot === null ? await host.store.waiting(pool.id) : snapshot.waiting;
    const now = host.clock.now();
    const tail = snapshot === null ? this.#newTail(pool, now) : this.#sharedTail(pool, now, snapshot);
    const size = list.length;
    for (let i = 0; i < size; i++) this.#place(tail, list[i] as WaitingRef, i, size, now, visit);
    pool.tail = tail;
    // Anything that touched the pool while the list was read is missing from this tail.
    pool.tailDirty = pool.version !== version;
  }

  /** {@link #walk} over a store that answers in the call: nothing can change the pool meanwhile. */
  #walkNow(pool: PoolState, store: ImmediateQueueStore, visit: WalkVisitor): void {
    const now = this.#host.clock.now();
    const tail = this.#newTail(pool, now);
    store.forEachWaiting(pool.id, (job, i, size) => this.#place(tail, job, i, size, now, visit));
    pool.tail = tail;
    pool.tailDirty = false;
  }

  /** Places the `i`-th waiting event of a walk in `tail` and shows it to `visit`. */
  #place(tail: EtaTail, job: WaitingRef, i: number, size: number, now: number, visit: WalkVisitor): void {
    const fs = this.#host.fns.get(job.fnId);
    const endMs = tail.place(
      job.fnId,
      fs === undefined ? null : fs.duration.valueMs,
      fs === undefined ? 1 : fs.batchSize,
      now,
    );
    visit(job, i, size, endMs, now);
  }

  #newTail(pool: PoolState, now: number): EtaTail {
    const ends: number[] = [];
    // A job whose thread is loading its model ends after the rest of the load (RunningJob).
    for (const job of this.#host.jobs) {
      if (job.fn.pool === pool) ends.push(job.expectedEndMs(job.fn.duration.valueMs, now));
    }
    return new EtaTail(now, pool.slots, ends);
  }

  /** The tail of a pool shared with other processes: their running jobs count too. */
  #sharedTail(pool: PoolState, now: number, snapshot: PoolSnapshot): EtaTail {
    const ends: number[] = [];
    for (const job of snapshot.running) {
      const avg = this.#host.fns.get(job.fnId)?.duration.valueMs ?? null;
      ends.push(avg === null ? now : now - job.ageMs + avg);
    }
    return new EtaTail(now, pool.slots, ends);
  }

  /** A join's first estimation, unless it predicts a wait over `maxWaitMs` (see {@link EstimatorHost.maxWaitMs}). */
  #first(r: EventRecord, rank: number, queueSize: number, rankEtaMs: number | null, now: number): void {
    const limit = this.#host.maxWaitMs;
    if (limit !== null && rankEtaMs !== null) {
      // The estimate is of the result: the wait is that, less the event's own call.
      const waitMs = rankEtaMs - (r.fn.duration.valueMs ?? 0);
      if (waitMs > limit) {
        r.refusedWaitMs = waitMs;
        return;
      }
    }
    this.#send(r, rank, queueSize, rankEtaMs, now);
  }

  #send(r: EventRecord, rank: number, queueSize: number, rankEtaMs: number | null, now: number): void {
    r.announced = true;
    r.lastEstAtMs = now;
    r.lastRank = rank;
    r.lastEtaMs = rankEtaMs;
    this.#host.emit({ type: "estimation", eventId: r.eventId, sessionHash: r.sessionHash, rank, queueSize, rankEtaMs });
  }
}

/**
 * Time from `now` to an expected end in whole milliseconds; never negative (a round's late slice
 * may pass an end). Whole: `rank_eta` (seconds on the wire) then has at most three decimals, which
 * JSON writes in half the time of a full double (a round writes 10 000 of them) and ~10 bytes shorter.
 */
function toEta(endMs: number | null, now: number): number | null {
  return endMs === null ? null : Math.max(0, Math.round(endMs - now));
}

/**
 * Whether the expected result time moved by more than {@link ETA_CHANGE_RATIO} of the ETA since
 * the last message (the ETA shrinking as time passes is not a move).
 */
function etaMoved(r: EventRecord, eta: number | null, now: number): boolean {
  if (eta === null || r.lastEtaMs === null) return eta !== r.lastEtaMs;
  const moved = Math.abs(now + eta - (r.lastEstAtMs + r.lastEtaMs));
  return moved > ETA_CHANGE_RATIO * Math.max(eta, 1);
}
