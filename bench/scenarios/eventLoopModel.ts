/** The CPU-bound function of the "eventLoop" scenario: a busy loop of `ms` milliseconds. */

/** Spins for `ms` (a stand-in for a CPU-bound model call) and returns how long it ran. */
export function busy(ms: number): number {
  const start = performance.now();
  let x = 0;
  while (performance.now() - start < ms) x++;
  return x >= 0 ? Math.round(performance.now() - start) : -1;
}
