/**
 * Where waiting events and pool slot counts live. The engine reaches them only through this async
 * interface so that a shared store (Redis, for several processes) can stand in for the in-memory
 * one. Each method is one atomic step: a store implementation must never let two callers both
 * admit past `maxSize` or both take the last free slot of a pool.
 *
 * Ordering rules every store must keep (the conformance suite in test/store/ checks them; the
 * policy is in docs/fair-queue.md):
 * - within a pool, events are grouped into levels by `priority`; within a level, round robin across
 *   client keys, one event per turn, FIFO within a key (`fairness: false`: FIFO by admission);
 * - across the levels of a pool, the head of the level whose head has the smallest
 *   {@link agedAtMs} goes first (ties: higher priority, then older admission);
 * - `claim` picks, among pools with a free slot and waiting events, the pool whose next event has
 *   the smallest {@link agedAtMs}, ties by admission ("oldest head first" when priorities are 0);
 * - a batch is the next event plus the following waiting events of the same function and level in
 *   the pool's order, up to that function's batch size (other events keep their places);
 * - `rank`, `waiting` and the rank of an admission follow exactly that order.
 */

/** A waiting event as the store keeps it. Everything must survive a JSON round trip. */
export interface StoredJob {
  readonly eventId: string;
  readonly sessionHash: string;
  readonly fnId: number;
  readonly poolId: string;
  /** The inputs as sent on the wire. */
  readonly data: unknown;
  readonly rootUrl: string;
  readonly meta: Readonly<Record<string, unknown>>;
  /** Engine clock time of admission, ms. */
  readonly enqueuedAtMs: number;
  /** Whom fair share and `maxPerClient` count this event for. Absent: its session hash. */
  readonly clientKey?: string | undefined;
  /** Its priority level, higher first. Absent: 0. */
  readonly priority?: number | undefined;
}

/** What a store applies to admissions and order (set once by the engine: {@link QueueStore.usePolicy}). */
export interface QueuePolicy {
  /** Round robin across client keys within a level; false: FIFO by admission. */
  readonly fairness: boolean;
  /** Most events one client key may have waiting or running; null: no limit. */
  readonly maxPerClient: number | null;
  /** How much waiting time one priority step is worth when levels compete (anti-starvation), ms. */
  readonly priorityAgingMs: number;
}

/** The policy of a store the engine has not configured: the order before fair share. */
export const FIFO_POLICY: QueuePolicy = Object.freeze({ fairness: false, maxPerClient: null, priorityAgingMs: 30_000 });

/** A job's client key as stores count it. */
export function clientKeyOf(job: StoredJob): string {
  return job.clientKey ?? job.sessionHash;
}

/**
 * The admission time a job competes with across levels: higher priority counts as having waited
 * `priority × priorityAgingMs` longer. So a higher level goes first, except over a lower-level
 * head that has waited that much longer: nobody starves behind later higher-priority arrivals.
 */
export function agedAtMs(job: StoredJob, policy: QueuePolicy): number {
  const p = job.priority ?? 0;
  return p === 0 ? job.enqueuedAtMs : job.enqueuedAtMs - p * policy.priorityAgingMs;
}

/** Outcome of {@link QueueStore.enqueue}. */
export type EnqueueResult =
  | {
      readonly accepted: true;
      /** Waiting events ahead of this one in its pool. */
      readonly rank: number;
      /** Waiting events in its pool, this one included. */
      readonly poolSize: number;
      /** Waiting events in every pool, this one included. */
      readonly totalSize: number;
      /**
       * Shared stores, when the event is its pool's head: the pool's running jobs in every process
       * (function and age, ms), which is all its first ETA needs, without another read.
       */
      readonly running?: readonly { readonly fnId: number; readonly ageMs: number }[] | undefined;
      /**
       * Shared stores, when the caller passed a claim request: what the store claimed for the caller
       * in the same step (this event or an older one), which the caller now runs. Absent: nothing.
       */
      readonly claim?: Claim | undefined;
    }
  | {
      readonly accepted: false;
      /** `queue_full`: maxSize events wait; `client_limit`: the job's client key has maxPerClient events. */
      readonly reason: "queue_full" | "client_limit";
      readonly totalSize: number;
    };

/** What {@link QueueStore.claim} needs to know about pools and functions. */
export interface ClaimRequest {
  /** Slot limit per pool id (null: unlimited). Pools not listed here are not claimed from. */
  readonly poolLimits: ReadonlyMap<string, number | null>;
  /** Largest batch per fn id; 1 (or absent) for functions that do not batch. */
  readonly batchSizes: ReadonlyMap<number, number>;
}

/** Jobs taken together for one call, holding one slot of `poolId`. */
export interface Claim {
  readonly poolId: string;
  readonly fnId: number;
  /** At least one job; several only for a batching function. */
  readonly jobs: readonly StoredJob[];
  /**
   * The slot's lease in a shared store (renewed while the job runs, so that the jobs of a process
   * that dies are retried or failed); pass the claim back to {@link QueueStore.release}.
   */
  readonly leaseId?: string | undefined;
}

/** What another process changed (see {@link QueueStore.subscribe}). */
export type StoreChange = "work" | "ranks";

/** Storage of the queue. See the file comment for the rules. */
export interface QueueStore {
  /**
   * Sets the order and per-client limit (the engine calls it once, before it admits anything; a
   * store never given one keeps {@link FIFO_POLICY}). Every process of a shared store must use the same.
   */
  usePolicy(policy: QueuePolicy): void;
  /**
   * Places `job` in its pool unless `maxSize` events already wait (null: no limit) or its client
   * key has the policy's `maxPerClient` events waiting or running. With `claim`
   * (the caller has a thread free for one job), a shared store may also claim for the caller in the
   * same round trip, as {@link claim} would, and return it in the result; other stores ignore it.
   */
  enqueue(job: StoredJob, maxSize: number | null, claim?: ClaimRequest): Promise<EnqueueResult>;
  /**
   * Takes the next job (or batch) from the pool with a free slot whose head is oldest, and counts
   * one more running slot in that pool. Null when nothing can start.
   */
  claim(request: ClaimRequest): Promise<Claim | null>;
  /**
   * Frees one running slot of `poolId` (after the job of a {@link Claim} ends). Give the claim when
   * you have it: a shared store frees exactly that claim's lease. With `next` (the caller keeps its
   * thread for another job), a shared store may claim the next job in the same round trip and
   * return it (the caller runs it); other stores return nothing and the caller claims as usual.
   */
  release(poolId: string, claim?: Claim, next?: ClaimRequest): Promise<Claim | null | void>;
  /**
   * Removes a waiting event; returns it, or null when it is not waiting (running, done or unknown).
   * (Its client key's count drops, as for every event that leaves: removed, or released in a claim.)
   */
  remove(eventId: string): Promise<StoredJob | null>;
  /** Removes every waiting event of a session and returns them in admission order. */
  removeSession(sessionHash: string): Promise<StoredJob[]>;
  /** The waiting events of one pool, in order (head first). */
  waiting(poolId: string): Promise<readonly StoredJob[]>;
  /** Rank (events ahead) and pool size of a waiting event, or null when it is not waiting. */
  rank(eventId: string): Promise<{ rank: number; poolSize: number } | null>;
  /** Waiting events in every pool. */
  size(): Promise<number>;
  /** Waiting events per pool id (pools with none may be absent). */
  poolSizes(): Promise<Map<string, number>>;
  /** Running slots of a pool. */
  running(poolId: string): Promise<number>;
  /**
   * Calls `listener` when another process changed the queue: "work" when work may have become
   * claimable (a join, a freed slot), "ranks" when only places in the queue moved (a claim, a
   * removal). Stores used by one process may never call it. Returns a function that unsubscribes.
   */
  subscribe(listener: (change: StoreChange) => void): () => void;
  /** Releases connections and timers. */
  close(): Promise<void>;
}

/**
 * A store whose queue operations finish inside the call (the in-memory one). The engine calls these
 * on its per-event path instead of the async ones: each async call costs a promise and a microtask
 * turn, three per prediction, and nothing here ever waits for I/O.
 */
export interface ImmediateQueueStore extends QueueStore {
  /**
   * True when the methods below may be used instead of the async ones. A subclass that makes an
   * async method do more (e.g. a test store that holds `enqueue` back) sets it false.
   */
  readonly answersInCall: boolean;
  /** {@link QueueStore.enqueue}, answered in the call. */
  enqueueNow(job: StoredJob, maxSize: number | null): EnqueueResult;
  /** {@link QueueStore.claim}, answered in the call. */
  claimNow(request: ClaimRequest): Claim | null;
  /** {@link QueueStore.remove}, answered in the call. */
  removeNow(eventId: string): StoredJob | null;
  /** {@link QueueStore.release}, done in the call (give the claim: its jobs leave their client's count). */
  releaseNow(poolId: string, claim?: Claim): void;
  /**
   * {@link QueueStore.waiting} without building the list: `visit` gets each waiting event of the
   * pool in order, its index and the pool's size. The pool must not change during the visit.
   */
  forEachWaiting(poolId: string, visit: (job: StoredJob, index: number, size: number) => void): void;
}

/** Whether `store` answers its queue operations in the call (see {@link ImmediateQueueStore}). */
export function isImmediateStore(store: QueueStore): store is ImmediateQueueStore {
  const s = store as Partial<ImmediateQueueStore>;
  return (
    s.answersInCall === true &&
    typeof s.enqueueNow === "function" &&
    typeof s.claimNow === "function" &&
    typeof s.releaseNow === "function" &&
    typeof s.removeNow === "function" &&
    typeof s.forEachWaiting === "function"
  );
}
