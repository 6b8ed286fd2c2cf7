import type { EngineEvent } from "../queue/index.ts";

/**
 * A final of the Redis store's event bus waiting for its claim's release (see RedisSessionBus's
 * file comment): delivered here, or (`origin` set) of an event run here for another origin, which
 * the release sends there.
 */
export interface LocalFinal {
  readonly event: EngineEvent;
  readonly json: string;
  /** A reader here got it. */
  readonly read: boolean;
  /** The origin node of an event run here for it; absent for a final delivered here. */
  readonly origin?: string;
}

/** A message of the Redis store's event bus on its way to Redis (or waiting in its outbox). */
export interface Unsent {
  readonly event: EngineEvent;
  readonly json: string;
  force: boolean;
  /** The node the event was admitted through ("" unknown: the script reads it from the job). */
  readonly origin: string;
  /** A final this node delivered itself: the log and the adopters get it, not this node again. */
  readonly deliveredHere?: boolean;
}
