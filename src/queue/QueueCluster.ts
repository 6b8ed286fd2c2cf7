/**
 * The engine's side of a queue shared by several processes: what a shared store (Redis) must offer
 * the engine besides the {@link QueueStore} itself. Defined here, with the engine, so that the engine
 * depends on no store; src/store/SharedQueueStore.ts extends it with what the server needs.
 */
import type { Claim, QueueStore, StoredJob } from "./QueueStore.ts";
import type { CancelReason } from "./types.ts";

/** A pool as every process sees it, for ETAs. */
export interface PoolSnapshot {
  /** Waiting events, head first. */
  readonly waiting: readonly { readonly eventId: string; readonly fnId: number }[];
  /** Running jobs (a batch counts once): their function and how long they have run, ms. */
  readonly running: readonly { readonly fnId: number; readonly ageMs: number }[];
}

/** The engine's side of a shared queue. */
export interface QueueCluster {
  /** This process's id among the store's users (one per store instance). */
  readonly nodeId: string;
  /**
   * Events admitted here that left the queue through another process: removed there, or
   * (`claimed`) claimed there, so started, which this process tells their users itself.
   */
  onLeft(listener: (eventIds: readonly string[], claimed: boolean) => void): () => void;
  /** Another process asks this one to cancel an event it runs. */
  onCancelRequest(listener: (eventId: string, reason: CancelReason) => void): () => void;
  /** Another process finished a call of `fnId` in `durationMs` (for the shared moving averages). */
  onDuration(listener: (fnId: number, durationMs: number) => void): () => void;
  /**
   * The connection came back after a break: messages may have been missed. `lostData`: the store
   * came back empty (a restart without persistence), so every event it held is gone.
   */
  onReconnect(listener: (lostData: boolean) => void): () => void;
  /**
   * Cancels an event this process has no record of: a waiting one is removed (returned), a
   * running one is handed to the process running it ("forwarded"); null when it is unknown.
   */
  cancelEvent(eventId: string, reason: CancelReason): Promise<StoredJob | "forwarded" | null>;
  /** Asks the other processes running events of a session to cancel them; returns how many. */
  cancelRunningSession(sessionHash: string, reason: CancelReason): Promise<number>;
  /** The pool's waiting events and running jobs across every process. */
  snapshot(poolId: string): Promise<PoolSnapshot>;
  /** Tells the other processes about a finished call (fire and forget). */
  shareDuration(fnId: number, durationMs: number): void;
  /**
   * After the store lost its data (see {@link onReconnect}): makes it know again a claim this
   * process is still running (its jobs, lease and sessions' pending events), so that the jobs'
   * messages reach their users and a death of this process is still noticed. Events the store
   * knows again already are left alone.
   */
  restoreClaim(claim: Claim): Promise<void>;
  /** Which of these events the store no longer knows (waiting or running), e.g. after it lost its data. */
  lostEvents(eventIds: readonly string[]): Promise<string[]>;
  /** The latest call durations recorded by any process, oldest first, per function. */
  loadDurations(fnIds: readonly number[]): Promise<Map<number, number[]>>;
}

/** A {@link QueueStore} that runs one queue with other processes. */
export interface ClusteredStore extends QueueStore {
  readonly shared: true;
  readonly cluster: QueueCluster;
}

/** True for a store shared by several processes (the engine then takes its shared paths). */
export function isClusteredStore(store: QueueStore): store is ClusteredStore {
  return (store as Partial<ClusteredStore>).shared === true;
}
