import type { FnState } from "./FnState.ts";
import type { RunningJob } from "./RunningJob.ts";
import type { CancelReason } from "./types.ts";

/**
 * Where an event is in its life. "joining": admitted by the engine, the store's answer not seen
 * yet; "ended": its terminal event was emitted and nothing may follow.
 */
export type EventState = "joining" | "waiting" | "running" | "ended";

/** The engine's own record of one event, from join to its terminal event. */
export class EventRecord {
  readonly eventId: string;
  readonly sessionHash: string;
  readonly fn: FnState;
  state: EventState = "joining";
  /** Clock time this process admitted it, ms; null for an event admitted by another process. */
  joinedAtMs: number | null = null;
  /** The job running it, once started. */
  job: RunningJob | null = null;
  /** A cancel asked for while the store was being asked (join or removal in flight). */
  cancelReason: CancelReason | null = null;
  /** A shared store says another process claimed or removed it: this process no longer owns it. */
  leftElsewhere = false;
  /** Whether its first `estimation` was emitted (it must precede `started`). */
  announced = false;
  /** The last estimation sent: when, rank and rankEtaMs (for rate limiting and change detection). */
  lastEstAtMs = Number.NEGATIVE_INFINITY;
  lastRank = -1;
  lastEtaMs: number | null = null;
  /** Set when its join's first estimate predicted a wait over `maxWaitMs`: that wait, ms (it is refused). */
  refusedWaitMs: number | null = null;

  constructor(eventId: string, sessionHash: string, fn: FnState) {
    this.eventId = eventId;
    this.sessionHash = sessionHash;
    this.fn = fn;
  }
}
