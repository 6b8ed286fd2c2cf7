/**
 * The grace periods of {@link SessionHub}'s sessions: when a session with something to deliver
 * has no reader, its period starts; when it ends with still no reader, the hub lets the session go.
 * Every prediction starts one (its join comes before its stream) and nearly every one ends a
 * moment later, so periods of the hub's length share one timer (a timer each was about 2% of an
 * identity prediction's CPU); a session with its own length (the /call API's) has its own timer.
 */
import type { Clock, TimerHandle } from "../clock.ts";
import type { Session } from "./Session.ts";

/** Times the grace periods of one hub's sessions. See the file comment. */
export class SessionGrace {
  readonly #clock: Clock;
  /** The hub's period, ms: periods of this length share one timer. */
  readonly #sessionGraceMs: number;
  /** The least period of a session keeping the finals of a reader that was cut off, ms. */
  readonly #keptResultTtlMs: number;
  readonly #onEnd: (s: Session) => void;
  /**
   * Sessions in a period of the hub's length, in the order they entered it, which is the order
   * their periods end (a Set iterates in insertion order). One timer, for the first, serves them all.
   */
  readonly #waiting = new Set<Session>();
  #timer: TimerHandle | null = null;
  #closed = false;

  /** `onEnd` is called when a session's period ends (the session may have a reader again by then). */
  constructor(clock: Clock, sessionGraceMs: number, keptResultTtlMs: number, onEnd: (s: Session) => void) {
    this.#clock = clock;
    this.#sessionGraceMs = sessionGraceMs;
    this.#keptResultTtlMs = keptResultTtlMs;
    this.#onEnd = onEnd;
  }

  /** Starts the session's period, unless one runs already. */
  arm(s: Session): void {
    if (s.graceDueMs !== null || this.#closed) return;
    const clock = this.#clock;
    const graceMs = s.keptForReturn ? Math.max(s.graceMs, this.#keptResultTtlMs) : s.graceMs;
    s.graceDueMs = clock.now() + graceMs;
    if (graceMs !== this.#sessionGraceMs) {
      s.graceTimer = clock.setTimeout(() => {
        s.graceTimer = null;
        s.graceDueMs = null;
        this.#onEnd(s);
      }, graceMs);
      return;
    }
    this.#waiting.add(s);
    if (this.#timer === null) this.#timer = clock.setTimeout(this.#onTimer, graceMs);
  }

  /** Stops the session's period, if one runs. */
  disarm(s: Session): void {
    if (s.graceDueMs === null) return;
    s.graceDueMs = null;
    this.#waiting.delete(s);
    if (s.graceTimer !== null) {
      this.#clock.clearTimeout(s.graceTimer);
      s.graceTimer = null;
    }
  }

  /** No period starts any more; the shared timer stops (the hub disarms each session). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Ends the periods that are due, oldest first, and sets the timer for the next one. */
  readonly #onTimer = (): void => {
    this.#timer = null;
    const now = this.#clock.now();
    for (const s of this.#waiting) {
      const due = s.graceDueMs ?? now;
      if (due > now) {
        this.#timer = this.#clock.setTimeout(this.#onTimer, due - now);
        return;
      }
      this.#waiting.delete(s);
      s.graceDueMs = null;
      this.#onEnd(s);
    }
  };
}
