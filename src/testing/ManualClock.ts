import type { Clock, TimerHandle } from "../clock.ts";

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told. `advance(ms)` fires due timers in time order, letting
 * microtasks settle between them so that promise chains triggered by one timer run before the next.
 *
 * Deferred callbacks ({@link defer}, the event loop's next turn) run before the next timer:
 * `advance` runs them all (and the ones they defer in turn), {@link turn} runs one loop iteration.
 * {@link spend} lets synchronous work take time without firing timers, as a busy event loop would.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];
  private deferred: (() => void)[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const t: Timer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return t;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as Timer).cancelled = true;
  }

  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  /** Number of timers still pending (deferred callbacks not included: see {@link deferredCount}). */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Number of deferred callbacks waiting for the next turn. */
  get deferredCount(): number {
    return this.deferred.length;
  }

  /**
   * Moves time forward by `ms` without firing anything: synchronous work that takes that long
   * (timers that fall due wait for the next {@link advance}, as real ones wait for a busy loop).
   */
  spend(ms: number): void {
    this.current += Math.max(0, ms);
  }

  /**
   * One turn of the event loop at the current time, as Node runs it: the timers due now and set
   * before the turn (in order, promise chains settling after each), then the callbacks deferred so far (those the timers
   * deferred included, not the ones these defer in turn), then promise chains settle.
   */
  async turn(): Promise<void> {
    await settle();
    const seqAtStart = this.seq;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers) {
        if (t.cancelled || t.at > this.current || t.seq >= seqAtStart) continue;
        if (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq)) next = t;
      }
      if (next === undefined) break;
      next.cancelled = true;
      next.fn();
      await settle();
    }
    this.runDeferred();
    await settle();
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + Math.max(0, ms);
    for (;;) {
      await settle();
      if (this.runDeferred()) continue;
      this.timers = this.timers.filter((t) => !t.cancelled);
      // Work may have spent time past the target: what fell due meanwhile is due.
      const until = Math.max(target, this.current);
      let next: Timer | undefined;
      for (const t of this.timers) {
        if (t.at <= until && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (next === undefined) break;
      this.current = Math.max(this.current, next.at);
      next.cancelled = true;
      next.fn();
    }
    // Time never goes back.
    this.current = Math.max(this.current, target);
    await settle();
  }

  /** Runs the callbacks deferred so far (not the ones they defer); false if there were none. */
  private runDeferred(): boolean {
    if (this.deferred.length === 0) return false;
    const fns = this.deferred;
    this.deferred = [];
    for (const fn of fns) fn();
    return true;
  }
}

/** Lets pending promise callbacks run (several turns, for chains of awaits). */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
