/**
 * Time, injected. The queue engine and everything with a timer take a {@link Clock} so that unit
 * tests drive time by hand ({@link ManualClock} in `src/testing/`) and never sleep.
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** Source of time and timers. */
export interface Clock {
  /** Milliseconds on a monotonic scale (not wall time). */
  now(): number;
  /** Calls `fn` once after `delayMs`. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
  /**
   * Calls `fn` once after the event loop has had a turn (`setImmediate` semantics: pending I/O is
   * handled first). Long synchronous work yields with it so that sockets and timers are served.
   */
  defer(fn: () => void): void;
}

/** The real clock: `performance.now()` and Node's timers (unref'd so they never hold the process open). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, delayMs) {
    const t = setTimeout(fn, delayMs);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
  defer(fn) {
    setImmediate(fn);
  },
};

/** A repeating timer started by {@link every}. */
export interface Repeating {
  /** Stops the repetition; a call inside `fn` stops it too. */
  stop(): void;
}

/**
 * Calls `fn` every `intervalMs` on `clock` until stopped: the clock's one-shot timer, re-armed
 * before each call (so `setInterval`'s cadence), which keeps {@link Clock} small and lets a
 * {@link ManualClock} drive heartbeats and sweeps like any other timer.
 */
export function every(clock: Clock, intervalMs: number, fn: () => void): Repeating {
  let handle: TimerHandle | null = null;
  const tick = (): void => {
    handle = clock.setTimeout(tick, intervalMs);
    fn();
  };
  handle = clock.setTimeout(tick, intervalMs);
  return {
    stop() {
      if (handle !== null) clock.clearTimeout(handle);
      handle = null;
    },
  };
}
