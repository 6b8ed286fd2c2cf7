import { TERMINAL_TYPES, type EngineEvent } from "../queue/index.ts";

/** Most log messages kept per event while its reader is away or slow; older ones are dropped. */
export const MAX_BUFFERED_LOGS_PER_EVENT = 50;

/** Where one event's replaceable messages sit in `items` (-1: none), and how many logs it has. */
interface EventSlots {
  estimation: number;
  progress: number;
  generating: number;
  logs: number;
}

/**
 * Messages waiting for a reader (no stream attached yet, or a slow one). Bounded: for each event it
 * keeps only the latest estimation, progress and generator chunk (latest value wins), a capped
 * number of logs, and its `started` and terminal messages, so that a reader that falls behind
 * cannot grow memory without bound.
 *
 * Every prediction passes through one (its first messages come before its stream), so the
 * bookkeeping is one small record per event, keyed by the event id the engine already holds
 * (no per-message key strings to build and hash), made only when needed.
 */
export class Outbox {
  private items: (EngineEvent | undefined)[] = [];
  /** The slots of the first event buffered, kept inline: most outboxes only ever hold one event. */
  private firstId: string | null = null;
  private first: EventSlots | null = null;
  /** Slots of the other events. */
  private slots: Map<string, EventSlots> | null = null;
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** How many of these events have their terminal message kept here. */
  finalsOf(eventIds: ReadonlySet<string>): number {
    let n = 0;
    for (const e of this.items) {
      if (e !== undefined && TERMINAL_TYPES.has(e.type) && eventIds.has(e.eventId)) n++;
    }
    return n;
  }

  push(event: EngineEvent): void {
    const type = event.type;
    if (type === "estimation" || type === "progress" || type === "generating") {
      const s = this.slotsOf(event.eventId);
      const at = s[type];
      if (at >= 0) {
        this.items[at] = event;
        return;
      }
      s[type] = this.items.length;
    } else if (type === "log") {
      const s = this.slotsOf(event.eventId);
      if (s.logs >= MAX_BUFFERED_LOGS_PER_EVENT) return;
      s.logs++;
    } else if (type === "completed" || type === "failed" || type === "cancelled") {
      // A terminal message makes the event's pending estimation and progress pointless.
      const s = this.firstId === event.eventId ? this.first : this.slots?.get(event.eventId);
      if (s != null) {
        this.dropAt(s.estimation);
        this.dropAt(s.progress);
        if (s === this.first) {
          this.firstId = null;
          this.first = null;
        } else this.slots?.delete(event.eventId);
      }
    }
    this.items.push(event);
    this.live++;
  }

  /** Removes and returns every message, in order. */
  drain(): EngineEvent[] {
    const items = this.items;
    this.items = [];
    this.firstId = null;
    this.first = null;
    this.slots = null;
    const live = this.live;
    this.live = 0;
    if (live === items.length) return items as EngineEvent[];
    const out: EngineEvent[] = [];
    for (const e of items) if (e !== undefined) out.push(e);
    return out;
  }

  private slotsOf(eventId: string): EventSlots {
    if (this.firstId === eventId && this.first !== null) return this.first;
    let s = this.slots?.get(eventId);
    if (s !== undefined) return s;
    s = { estimation: -1, progress: -1, generating: -1, logs: 0 };
    if (this.firstId === null) {
      this.firstId = eventId;
      this.first = s;
    } else (this.slots ??= new Map()).set(eventId, s);
    return s;
  }

  private dropAt(at: number): void {
    if (at < 0 || this.items[at] === undefined) return;
    this.items[at] = undefined;
    this.live--;
  }
}
