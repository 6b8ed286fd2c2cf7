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
