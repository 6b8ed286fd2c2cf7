/**
 * What a store shared by several processes (Redis) offers besides the {@link QueueStore} itself.
 * The in-memory path never sees any of it: the engine, the session hub and `launch()` look for
 * {@link isSharedStore} once, at construction, and take the shared paths only then.
 *
 * - {@link QueueCluster} (the engine's own contract, src/queue/QueueCluster.ts): what the engine
 *   needs to run one queue with other processes: hearing
 *   that events it admitted were claimed or removed elsewhere, cancelling events another process
 *   runs, the pool's running jobs and durations for ETAs;
 * - {@link SessionBus}: the event bus. Engine events are published per session; a process holding
 *   a session's stream receives them in order, and a process that adopts a session (a reconnect
 *   through another front) replays what its user has not read yet;
 * - a {@link FileStore} and a {@link SessionStateStore} that every process reaches.
 */
import type { ClusteredStore, QueueCluster } from "../queue/index.ts";
import type { EngineEvent } from "../queue/index.ts";
import type { FileStore } from "./FileStore.ts";
import type { SharedOwnerStore } from "./OwnerStore.ts";
import type { SessionStateStore } from "./SessionStateStore.ts";
import type { QueueStore } from "../queue/index.ts";

/**
 * One message of a session: its id in the session's log (ordered), or "" for one sent without the
 * log (a progress message of a session no other node holds), and the engine event.
 */
export interface SessionMessage {
  readonly id: string;
  readonly event: EngineEvent;
}

/** What {@link SessionBus.adopt} finds. */
export interface Adopted {
  readonly pending: string[];
  readonly running: string[];
  readonly backlog: SessionMessage[];
}

/** The event bus of a shared store (see the file comment). */
export interface SessionBus {
  /** Publishes an engine event to its session (an {@link EngineListener}; fire and forget, in order). */
  readonly publish: (event: EngineEvent) => void;
  /** Publishes even if the event is no longer pending (used to fail events the store lost). */
  publishForced(event: EngineEvent): void;
  /** Messages of the sessions this process holds, in log order per session. */
  onMessage(listener: (sessionHash: string, message: SessionMessage) => void): () => void;
  /**
   * Makes this process hold the session: its new messages come here from now on. Returns the
   * events still pending, those of them that run now (claimed: their start may have gone to
   * their origin alone, unlogged) and the messages its user has not read (after the read cursor).
   * When pending and backlog are empty the process does not hold the session, unless `hold`.
   */
  adopt(sessionHash: string, hold?: boolean): Promise<Adopted>;
  /** This process no longer holds the session. */
  leave(sessionHash: string): void;
  /** True when a live process other than this one holds (adopted) the session. */
  heldElsewhere(sessionHash: string): Promise<boolean>;
  /**
   * True when this process delivers the event to its own listeners itself, without the store (an
   * event admitted here whose session no other process holds); the relay then does, and reports
   * the event's final with {@link endedHere}.
   */
  deliversHere(event: EngineEvent): boolean;
  /** True when this process runs the event (claimed it): its messages leave from here, in order. */
  runsHere(eventId: string): boolean;
  /** A final delivered here by the relay (see {@link deliversHere}); `read`: a reader here got it. */
  endedHere(event: EngineEvent, read: boolean): void;
  /**
   * Calls `then`, in a microtask, once the finals of the session delivered here have ended in the
   * store: by then it is known whether another process holds the session too ({@link onShared} has
   * been called). A callback, not a promise: a one-shot visitor's stream asks once per prediction.
   */
  whenSettled(sessionHash: string, then: () => void): void;
  /**
   * After {@link whenSettled}: whether the session still had pending events when its latest final
   * delivered here ended in the store (other processes may hold them); undefined when the store did
   * not say (the finals came through it from other processes: ask it, {@link pendingEvents}).
   */
  othersPending(sessionHash: string): boolean | undefined;
  /**
   * True when this process holds the session alone for sure: any other process that joins or
   * adopts it says so first (see SoloSessions), so no event of it can be pending elsewhere unheard.
   */
  heldSolo(sessionHash: string): boolean;
  /** Sessions another process now holds too: a holder here should catch up with the store's log. */
  onShared(listener: (sessionHash: string) => void): () => void;
  /** A final delivered here was logged later under this id (read cursors move past it). */
  onLogged(listener: (event: EngineEvent, id: string) => void): () => void;
  /**
   * A final delivered here ended in the store unlogged, its session held by no other process:
   * nothing of its event is in the store any more, so nothing of it can come back through a
   * catch-up, and what was kept to recognize such copies may go.
   */
  onUnlogged(listener: (event: EngineEvent) => void): () => void;
  /** The session's events that have not ended, wherever they were admitted. */
  pendingEvents(sessionHash: string): Promise<string[]>;
  /** True when `eventId` belongs to the session and has not ended. */
  isPending(sessionHash: string, eventId: string): Promise<boolean>;
  /** The session's reader has been given every message up to `id` (a reconnect resumes after it). */
  saveCursor(sessionHash: string, id: string): void;
  /**
   * A reader here read the message logged under `id` in a session no other process holds: it
   * leaves the log (whose entries make a later join catch up, as history another front left).
   */
  forgetRead(sessionHash: string, id: string): void;
  /**
   * A log entry read here (see {@link forgetRead}) is gone from the store: no catch-up that starts
   * from now on can read it again.
   */
  onForgotten(listener: (sessionHash: string, id: string) => void): () => void;
  /**
   * How long after the store lost its data the processes still running jobs have to write them
   * back ({@link QueueCluster.restoreClaim}), ms: an event unknown after that is lost.
   */
  readonly restoreGraceMs: number;
  /**
   * After the store lost its data: fails, with a message saying so, each of these events of the
   * session that the store does not know (not pending, no job) and whose log has no final message
   * (one check, atomic with the failure: never a second final message). Returns the failed ids.
   */
  failLost(sessionHash: string, eventIds: readonly string[]): Promise<string[]>;
  /** See {@link QueueCluster.onReconnect}. */
  onReconnect(listener: (lostData: boolean) => void): () => void;
}

/** A {@link QueueStore} shared by several processes. */
export interface SharedQueueStore extends ClusteredStore {
  readonly bus: SessionBus;
  /** Resolves once connected; rejects with STORE_UNAVAILABLE after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** Files every process can read: uploads, outputs. `root` is this process's local cache. */
  fileStore(root: string, allowedPaths: readonly string[]): FileStore;
  /** State component values every process can read. */
  sessionState(): SessionStateStore;
  /** Who each session belongs to, for every front to enforce. */
  sessionOwners(): SharedOwnerStore;
}

/** True for a store shared by several processes. */
export function isSharedStore(store: QueueStore | null | undefined): store is SharedQueueStore {
  return store !== null && store !== undefined && (store as Partial<SharedQueueStore>).shared === true;
}
