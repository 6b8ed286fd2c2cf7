/**
 * The "model" of examples/worker.ts: CPU-bound, pure JavaScript. It runs in the worker threads
 * of the app's pool, never on the server's event loop. Module-level state is per thread: the table
 * built in setup() is made once per thread, and then serves every call that thread runs.
 */
import { threadId } from "node:worker_threads";
import { AppError, type EventContext } from "usher-ml";

const LIMIT = 50_000_000;
let smallPrimes: Uint32Array = new Uint32Array(0);

/** Runs once per worker thread before its first call: "load the model". */
export function setup(): void {
  smallPrimes = sieve(Math.ceil(Math.sqrt(LIMIT)) + 1);
}

/**
 * Counts the primes up to `n` with a segmented sieve: seconds of pure CPU for large n. Checks its
 * signal between segments, so a cancelled request stops at once and frees its thread.
 */
export function countPrimes(n: number | null, ctx: EventContext): string {
  if (n === null || !Number.isInteger(n) || n < 2 || n > LIMIT) {
    throw new AppError(`Pick a whole number between 2 and ${LIMIT.toLocaleString("en")}.`, { title: "Out of range" });
  }
  const segment = 1 << 20;
  const marks = new Uint8Array(segment);
  let count = 0;
  for (let low = 2; low <= n; low += segment) {
    ctx.signal.throwIfAborted();
    const high = Math.min(low + segment - 1, n);
    marks.fill(0);
    for (const p of smallPrimes) {
      if (p * p > high) break;
      for (let m = Math.max(p * p, Math.ceil(low / p) * p); m <= high; m += p) marks[m - low] = 1;
    }
    for (let i = 0; i <= high - low; i++) if (marks[i] === 0) count++;
    ctx.progress(high / n, "sieving");
  }
  return `${count.toLocaleString("en")} primes up to ${n.toLocaleString("en")} (worker thread ${threadId})`;
}

function sieve(limit: number): Uint32Array {
  const composite = new Uint8Array(limit + 1);
  const primes: number[] = [];
  for (let i = 2; i <= limit; i++) {
    if (composite[i] === 1) continue;
    primes.push(i);
    for (let m = i * i; m <= limit; m += i) composite[m] = 1;
  }
  return Uint32Array.from(primes);
}
