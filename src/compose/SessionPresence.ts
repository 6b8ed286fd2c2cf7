import type { Clock, TimerHandle } from "../clock.ts";

/**
 * Counts each session's presence streams (heartbeat streams, queue sockets) and frees a session's
 * State `graceMs` after its last one closed, unless one comes back meanwhile: a reload keeps the
 * State, a closed tab lets it go.
 */
export class SessionPresence {
  readonly #clock: Clock;
  readonly #graceMs: number;
  readonly #closeSession: (sessionHash: string) => void;
  /** Open presence streams per session. */
  readonly #open = new Map<string, number>();
  /** Sessions with no stream open, each with the timer that frees it. */
  readonly #grace = new Map<string, TimerHandle>();

  constructor(clock: Clock, graceMs: number, closeSession: (sessionHash: string) => void) {
    this.#clock = clock;
    this.#graceMs = graceMs;
    this.#closeSession = closeSession;
  }

  /** A presence stream of the session opened: its State stays while one is open. */
  opened(sessionHash: string): void {
    this.#open.set(sessionHash, (this.#open.get(sessionHash) ?? 0) + 1);
    const grace = this.#grace.get(sessionHash);
    if (grace === undefined) return;
    this.#clock.clearTimeout(grace);
    this.#grace.delete(sessionHash);
  }

  /** A presence stream closed: the last one starts the session's grace period. */
  closed(sessionHash: string): void {
    const open = (this.#open.get(sessionHash) ?? 1) - 1;
    if (open > 0) {
      this.#open.set(sessionHash, open);
      return;
    }
    this.#open.delete(sessionHash);
    const previous = this.#grace.get(sessionHash);
    if (previous !== undefined) this.#clock.clearTimeout(previous);
    const t = this.#clock.setTimeout(() => {
      this.#grace.delete(sessionHash);
      this.#closeSession(sessionHash);
    }, this.#graceMs);
    this.#grace.set(sessionHash, t);
  }

  /** Clears every grace timer (the server closes). */
  close(): void {
    for (const t of this.#grace.values()) this.#clock.clearTimeout(t);
    this.#grace.clear();
  }
}
