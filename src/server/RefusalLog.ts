import type { FastifyBaseLogger } from "fastify";
import { systemClock, type Clock, type TimerHandle } from "../clock.ts";

/** Length of one refusal summary window, ms. */
export const REFUSAL_WINDOW_MS = 10_000;

/**
 * Logs refused requests by bursts, not one line each: a viral demo refusing thousands of joins a
 * second ("queue full") must not drown its log or pay a write per refusal. The first refusal after
 * a quiet window logs one line at once; while refusals go on, one summary line per window counts
 * them by code.
 */
export class RefusalLog {
  readonly #log: FastifyBaseLogger;
  readonly #windowMs: number;
  #counts = new Map<string, number>();
  readonly #clock: Clock;
  #timer: TimerHandle | null = null;

  constructor(log: FastifyBaseLogger, windowMs = REFUSAL_WINDOW_MS, clock: Clock = systemClock) {
    this.#log = log;
    this.#windowMs = windowMs;
    this.#clock = clock;
  }

  /** Notes one refusal of `code` (an UsherError code or HTTP_<status>). */
  note(code: string, status: number): void {
    if (this.#timer === null) {
      this.#log.warn({ code, status }, "refusing requests");
      this.#arm();
      return;
    }
    this.#counts.set(code, (this.#counts.get(code) ?? 0) + 1);
  }

  /** Stops the timer (on close); what is counted and not yet logged is logged now. */
  close(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#flush();
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      // Another window only while refusals go on; a quiet window ends the burst.
      if (this.#flush()) this.#arm();
    }, this.#windowMs);
  }

  #flush(): boolean {
    if (this.#counts.size === 0) return false;
    let total = 0;
    for (const n of this.#counts.values()) total += n;
    this.#log.warn(
      { refused: total, byCode: Object.fromEntries(this.#counts), windowMs: this.#windowMs },
      "refused requests",
    );
    this.#counts = new Map();
    return true;
  }
}
