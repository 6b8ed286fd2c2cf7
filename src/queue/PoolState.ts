import type { TimerHandle } from "../clock.ts";
import type { EtaTail } from "./EtaTail.ts";

/** One pool as the engine sees it: limits, local running jobs and the estimation bookkeeping. */
export class PoolState {
  /** "default", `id:${concurrencyId}` or `fn:${fnId}`. */
  readonly id: string;
  /** Slot limit given to the store (null: no per-pool limit). */
  readonly limit: number | null;
  /** Jobs that can really run at once: min(limit, maxThreads). */
  readonly slots: number;
  /**
   * How many jobs of this pool this engine started and has not settled (a count: the jobs are
   * in the engine's `jobs`; a set per pool, emptied at each job's end, made V8 allocate a table).
   */
  running = 0;
  /** Settled jobs whose slot a shared store has not freed yet (their release is on its way). */
  releasing = 0;
  /**
   * Admissions on their way to a shared store with a claim for this engine (see Admission): each
   * may come back with a job of this pool. Counted as taken, so that the joins meanwhile do not
   * each send a claim of their own that the store can only refuse (one slot count more per join).
   */
  claiming = 0;

  /** ETA state after the last walk plus the events appended since (see {@link EtaTail}). */
  tail: EtaTail | null = null;
  /** True when something other than an append changed the pool since `tail` was built. */
  tailDirty = true;
  /** Bumped on every change of the pool (append included), to spot a walk that raced one. */
  version = 0;

  /** Pending broadcast round, if any. */
  roundTimer: TimerHandle | null = null;
  /** Clock time the last round started, then ended (its last slice); rounds are spaced by statusUpdateMs. */
  lastRoundAtMs = Number.NEGATIVE_INFINITY;
  /** A round is between its store read and its last slice; another request waits for it (roundAgain). */
  roundRunning = false;
  roundAgain = false;

  constructor(id: string, limit: number | null, maxThreads: number) {
    this.id = id;
    this.limit = limit;
    this.slots = limit === null ? maxThreads : Math.min(limit, maxThreads);
  }

  /** True when this engine's own jobs fill the pool's limit (the store would refuse a claim). */
  atLimit(): boolean {
    return this.limit !== null && this.running + this.releasing + this.claiming >= this.limit;
  }

  /** Marks the ETA tail stale. */
  invalidate(): void {
    this.tailDirty = true;
    this.version++;
  }
}
