/**
 * The ETA simulation of one pool, as a resumable state: where each slot will next be free, and the
 * batch each batching function is still filling. Walking the waiting list in order through
 * {@link EtaTail.place} gives every event its expected result time; the state left at the end (the
 * "tail") lets a new event appended to the pool be placed in O(log slots) without a new walk.
 *
 * Batches are formed the way the store's claim forms them: the head plus the next events of the
 * same function, up to its batch size. For one function that is a partition of its events, in
 * order, into groups of `batchSize`, so an appended event either joins its function's last batch
 * (when not full) or opens a new one at the end of the line.
 */
import { MinHeap } from "./MinHeap.ts";

interface OpenBatch {
  endMs: number;
  count: number;
}

/** Resumable ETA walk of one pool. Times are absolute (clock ms). */
export class EtaTail {
  /** Clock time the walk started at. */
  readonly builtAtMs: number;
  /** When each busy slot is next free. */
  readonly #free = new MinHeap();
  /**
   * Slots free from `builtAtMs` on, counted rather than kept in the heap: a pool of 512 slots
   * with few running jobs cost 512 heap pushes per tail, and a tail is built on every join at
   * the head of a pool. They are the earliest free slots, so they are taken first.
   */
  #freeNow: number;
  /** Created on the first batching function placed (most pools have none). */
  #open: Map<number, OpenBatch> | null = null;

  /**
   * `slots`: how many jobs the pool can run at once; `runningEndsMs`: expected end of each running
   * job (a job past its expected end, or of unknown duration, counts as ending now).
   */
  constructor(nowMs: number, slots: number, runningEndsMs: readonly number[]) {
    this.builtAtMs = nowMs;
    for (const end of runningEndsMs) this.#free.push(Math.max(end, nowMs));
    this.#freeNow = Math.max(0, slots - runningEndsMs.length);
  }

  /**
   * Places the next waiting event of function `fnId` (expected call duration `avgMs`, null when
   * unknown; `batchSize` 1 when it does not batch) and returns the absolute time its result is
   * expected, or null when `avgMs` is unknown. An unknown duration still occupies its slot for 0 ms
   * so that the events behind it get an estimate.
   */
  place(fnId: number, avgMs: number | null, batchSize: number, nowMs: number): number | null {
    let open: OpenBatch | undefined;
    if (batchSize > 1) {
      open = this.#open?.get(fnId);
      if (open !== undefined && open.count < batchSize) {
        open.count++;
        return avgMs === null ? null : open.endMs;
      }
    }
    // A tail kept from an earlier walk may hold slot times in the past: nothing starts before now.
    let start: number;
    if (this.#freeNow > 0) {
      this.#freeNow--;
      start = Math.max(this.builtAtMs, nowMs);
    } else start = Math.max(this.#free.pop() ?? nowMs, nowMs);
    const end = start + (avgMs ?? 0);
    this.#free.push(end);
    if (batchSize > 1) {
      if (open === undefined) (this.#open ??= new Map()).set(fnId, { endMs: end, count: 1 });
      else {
        open.endMs = end;
        open.count = 1;
      }
    }
    return avgMs === null ? null : end;
  }
}
