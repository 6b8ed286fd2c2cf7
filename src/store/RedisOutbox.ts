/**
 * The Redis session bus's outbox: messages that could not be published (Redis unreachable, or
 * restarting) wait here, in order, with every message after them, and go out once the connection
 * is back, or on a timer while it looks fine. After Redis lost its data they go out forced, as the
 * events' pending entries went with the data. At most {@link OUTBOX_MAX} messages wait; past that,
 * new progress messages are dropped, never a terminal one.
 */
import { every, type Repeating } from "../clock.ts";
import { TERMINAL_TYPES } from "../queue/index.ts";
import type { Unsent } from "./LocalFinal.ts";
import type { RedisLink } from "./RedisLink.ts";
import { usherWarning } from "../warnings.ts";

/** Most messages waiting in the outbox (see the file comment). */
export const OUTBOX_MAX = 10_000;
/** While the outbox holds messages and the connection looks fine, it is retried this often, ms. */
const OUTBOX_RETRY_MS = 1000;

/** See the file comment. */
export class RedisOutbox {
  readonly #link: RedisLink;
  readonly #send: (m: Unsent) => void;
  #messages: Unsent[] = [];
  #retryTimer: Repeating | null = null;
  #droppedProgress = 0;

  /** `send` publishes a message, and holds it here again if that fails for want of Redis. */
  constructor(link: RedisLink, send: (m: Unsent) => void) {
    this.#link = link;
    this.#send = send;
  }

  /** Whether messages wait: a later message of the bus must wait behind them, to keep the order. */
  get waiting(): boolean {
    return this.#messages.length > 0;
  }

  hold(m: Unsent): void {
    if (this.#messages.length >= OUTBOX_MAX && !TERMINAL_TYPES.has(m.event.type)) {
      if (this.#droppedProgress++ === 0) {
        usherWarning(
          "UsherStoreWarning",
          `Usher's Redis outbox is full (${OUTBOX_MAX} messages): progress messages are dropped until Redis is back.`,
        );
      }
      return;
    }
    this.#messages.push(m);
    if (this.#retryTimer === null) {
      // A failure without a break of the connection brings no reconnect: try again on a timer too.
      this.#retryTimer = every(this.#link.clock, OUTBOX_RETRY_MS, () => {
        if (this.#link.healthy) this.flush(false);
      });
    }
  }

  /** Sends what waits, in order; what fails again comes back. `lostData`: Redis lost its data, send forced. */
  flush(lostData: boolean): void {
    this.close();
    this.#droppedProgress = 0;
    const messages = this.#messages;
    this.#messages = [];
    for (const m of messages) {
      if (lostData) m.force = true;
      this.#send(m);
    }
  }

  /** Stops the retry timer. */
  close(): void {
    this.#retryTimer?.stop();
    this.#retryTimer = null;
  }
}
