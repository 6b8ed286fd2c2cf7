import type { EngineEvent } from "../queue/types.ts";

/** Most log messages kept per event while its reader is away or slow; older ones are dropped. */
export const MAX_BUFFERED_LOGS_PER_EVENT = 50;

/**
 * Messages waiting for a reader (no stream attached yet, or a slow one). Bounded: for each event it
 * keeps only the latest estimation, progress and generator chunk (latest value wins), a capped
 * number of logs, and its `started` and terminal messages, so that a reader that falls behind
 * cannot grow memory without bound.
 */
export class Outbox {
  private items: (EngineEvent | undefined)[] = [];
  /** `${eventId}\0${type}` → index in `items` of a message that a newer one may replace. */
  private readonly latest = new Map<string, number>();
  private readonly logCounts = new Map<string, number>();
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(event: EngineEvent): void {
    if (event.type === "estimation" || event.type === "progress" || event.type === "generating") {
      const key = `${event.eventId}\0${event.type}`;
      const at = this.latest.get(key);
      if (at !== undefined) {
        this.items[at] = event;
        return;
      }
      this.latest.set(key, this.items.length);
    } else if (event.type === "log") {
      const n = this.logCounts.get(event.eventId) ?? 0;
      if (n >= MAX_BUFFERED_LOGS_PER_EVENT) return;
      this.logCounts.set(event.eventId, n + 1);
    } else if (event.type === "completed" || event.type === "failed" || event.type === "cancelled") {
      // A terminal message makes the event's pending estimation and progress pointless.
      this.dropStale(event.eventId);
    }
    this.items.push(event);
    this.live++;
  }

  /** Removes and returns every message, in order. */
  drain(): EngineEvent[] {
    const out: EngineEvent[] = [];
    for (const e of this.items) if (e !== undefined) out.push(e);
    this.items = [];
    this.latest.clear();
    this.logCounts.clear();
    this.live = 0;
    return out;
  }

  private dropStale(eventId: string): void {
    for (const type of ["estimation", "progress"] as const) {
      const key = `${eventId}\0${type}`;
      const at = this.latest.get(key);
      if (at !== undefined) {
        this.items[at] = undefined;
        this.latest.delete(key);
        this.live--;
      }
    }
  }
}
