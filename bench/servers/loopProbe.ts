/**
 * The longest stretch the event loop was held, as a timer would see it: a 1 ms timer, re-armed at
 * each of its turns, records the largest gap between two of them. That gap is what any other work
 * of the process (a running job's I/O, a join, a heartbeat) may have had to wait.
 *
 * A timer, not `setImmediate`: an immediate that is always pending makes libuv poll for I/O
 * without waiting, so the loop would never be idle and `performance.eventLoopUtilization()` would
 * count the whole wall time as busy. The timer's own turns cost a few microseconds each; a gap
 * includes up to ~1 ms of the timer's own period.
 */
import { performance } from "node:perf_hooks";

/** A running probe. */
export interface LoopProbe {
  /** Stops at the probe's next turn (which closes the stretch in progress); the longest gap, ms. */
  stop(): Promise<number>;
}

/** Starts a probe (see the file comment). */
export function startLoopProbe(): LoopProbe {
  let last = performance.now();
  let longest = 0;
  let onStop: ((longestMs: number) => void) | null = null;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (onStop !== null) onStop(longest);
    else setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  return {
    stop: () =>
      new Promise<number>((resolve) => {
        onStop = resolve;
      }),
  };
}
