/**
 * The `maxThreads` cap on all running work: queued jobs (a batch counts 1) and direct calls.
 * Direct calls that find no free thread wait here in FIFO order; the queue never waits here (a
 * dispatch pass simply stops and runs again when a thread is given back).
 */
export class ThreadGate {
  readonly max: number;
  #inUse = 0;
  /** Waiting direct calls, oldest first; `#head` skips the ones already served. */
  #waiters: (() => void)[] = [];
  #head = 0;

  constructor(max: number) {
    this.max = max;
  }

  /** Threads taken now. */
  get inUse(): number {
    return this.#inUse;
  }

  /** True when a direct call waits for a thread. */
  get waiting(): boolean {
    return this.#head < this.#waiters.length;
  }

  /** Takes a thread if one is free and nobody waits for one. */
  tryTake(): boolean {
    if (this.#inUse >= this.max || this.#head < this.#waiters.length) return false;
    this.#inUse++;
    return true;
  }

  /** Resolves when the caller holds a thread (FIFO behind earlier waiters). */
  take(): Promise<void> {
    if (this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Gives a thread back. The oldest waiter gets it if there is one (returns true: the thread is
   * still in use); else it is free (returns false: the caller should let the queue use it).
   * Waiters go first because they hold an HTTP request open with no position or ETA, while
   * queued events are told where they stand.
   */
  give(): boolean {
    if (this.#head < this.#waiters.length) {
      const resolve = this.#waiters[this.#head] as () => void;
      this.#head++;
      if (this.#head === this.#waiters.length) {
        this.#waiters = [];
        this.#head = 0;
      }
      resolve();
      return true;
    }
    this.#inUse--;
    return false;
  }
}
