/**
 * How long a worker module takes to load in a thread (its import and `setup()`), as this process
 * measured it: the mean of the loads seen so far, per module. Before the first measured load the
 * app's `inWorker(..., { loadMs })` stands in. The engine adds the expected time of a load in
 * progress to the ETAs of the users behind it.
 */
import type { WorkerRef } from "./inWorker.ts";

interface Measured {
  totalMs: number;
  count: number;
}

/** Measured load times of worker modules, per module URL. See the file comment. */
export class LoadTimes {
  readonly #byModule = new Map<string, Measured>();

  /** Expected load time of `ref`'s module, ms: the measured mean, else the declared `loadMs`, else null. */
  expectedMs(ref: WorkerRef): number | null {
    const m = this.#byModule.get(ref.moduleUrl);
    return m === undefined ? ref.loadMs : m.totalMs / m.count;
  }

  /** Records one successful load of `ref`'s module in a thread. */
  record(ref: WorkerRef, loadMs: number): void {
    const m = this.#byModule.get(ref.moduleUrl);
    if (m === undefined) this.#byModule.set(ref.moduleUrl, { totalMs: loadMs, count: 1 });
    else {
      m.totalMs += loadMs;
      m.count++;
    }
  }
}
