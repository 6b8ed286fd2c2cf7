/**
 * A minimal change notifier. Notifications are coalesced into one microtask so that a burst of
 * updates (a streamed chunk touching five outputs) renders once. Not requestAnimationFrame: it
 * stops in background tabs, and a queued tab must keep its status current.
 */
export class Observable {
  readonly #listeners = new Set<() => void>();
  #scheduled = false;

  /** Calls `fn` after changes; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Schedules one notification for every change made in this task. */
  protected changed(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      for (const fn of this.#listeners) fn();
    });
  }
}
