import type { EngineEvent } from "./types.ts";

/**
 * How engine events travel to the engine's listeners. Without a bus (the default, one process)
 * the engine calls its listeners directly and synchronously. With several processes sharing a
 * queue, an event may be emitted by the process running a job while the user's stream is held by
 * another: a bus sends it there (for Redis: `SessionRelay`), and that process's engine listeners
 * (the session hub...) get it from the bus.
 */
export interface EventBus {
  /**
   * Sends an event on its way; it reaches the listeners later, possibly in another process.
   * `force`: even when the bus believes the event already ended (used to fail events a shared
   * store lost, which it no longer knows).
   */
  publish(event: EngineEvent, force?: boolean): void;
  /** Called once by the engine: events for this process go to `deliver` (the engine's listeners). */
  connect(deliver: (event: EngineEvent) => void): void;
}
