import type { EngineEvent } from "../queue/index.ts";

/**
 * A final of the Redis store's event bus waiting for its claim's release (see RedisSessionBus's
 * file comment): delivered here, or (`origin` set) of an event run here for another origin, which
 * the release sends there.
 */
export interface LocalFinal {
  readonly event: EngineEvent;
  /**
   * The event as JSON; null for a final a reader here got (`read`), which the release carries
   * without it: the store logs it only if another node adopted the session meanwhile, and then
   * this node publishes it itself (see RedisSessionBus.released). A result can be large, and
   * Redis's Lua hashes every byte of every string it is given.
   */
  readonly json: string | null;
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
  /** Told the log id once it is logged. */
  readonly logged?: (id: string) => void;
}

/**
 * The log id a release answers for a final it was given without its JSON (a reader here got it)
 * when another node adopted the session: the caller publishes it itself (docs/redis-protocol.md).
 */
export const RELEASE_NEEDS_JSON = "?";

/**
 * Appends to `out` the release's ARGV for its finals: their count, then (eventId, sessionHash,
 * mode, json) each; mode "1" (a reader here got it) or "0" for one delivered here, ">" + origin
 * for one run here for another node. A final a reader here got goes without its JSON (see
 * {@link LocalFinal.json}).
 */
export function pushReleaseArgs(out: (string | number)[], finals: readonly LocalFinal[]): void {
  out.push(finals.length);
  for (const f of finals) {
    const mode = f.origin !== undefined ? `>${f.origin}` : f.read ? "1" : "0";
    out.push(f.event.eventId, f.event.sessionHash, mode, mode === "1" ? (f.json ?? "") : finalJson(f));
  }
}

/** A local final's JSON, made now if it was left out (see {@link LocalFinal.json}). */
export function finalJson(f: LocalFinal): string {
  return f.json ?? JSON.stringify(f.event);
}
