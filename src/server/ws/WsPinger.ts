import { every, systemClock, type Clock, type Repeating } from "../../clock.ts";
import type { WsChannel } from "./WsChannel.ts";

/** Sockets pinged per slice of a round, so that 10 000 sockets never block the loop at once. */
const PING_SLICE = 500;

/**
 * Dead-peer detection for every queue socket with one timer: every `intervalMs` each channel
 * gets a {@link WsChannel.tick} (ping, or terminate when the previous round got no sign of life).
 * A dead peer is therefore found within two intervals, and its events then end the way any
 * disconnect does.
 */
export class WsPinger {
  readonly #intervalMs: number;
  readonly #channels = new Set<WsChannel>();
  readonly #clock: Clock;
  #timer: Repeating | null = null;

  constructor(intervalMs: number, clock: Clock = systemClock) {
    this.#intervalMs = intervalMs;
    this.#clock = clock;
  }

  /** Watches a channel until {@link remove}. */
  add(channel: WsChannel): void {
    this.#channels.add(channel);
    this.#timer ??= every(this.#clock, this.#intervalMs, () => this.#round());
  }

  remove(channel: WsChannel): void {
    this.#channels.delete(channel);
    if (this.#channels.size === 0) this.stop();
  }

  /** Stops the timer (until the next {@link add}). */
  stop(): void {
    this.#timer?.stop();
    this.#timer = null;
  }

  #round(): void {
    const all = [...this.#channels];
    const slice = (from: number): void => {
      const to = Math.min(all.length, from + PING_SLICE);
      for (let i = from; i < to; i++) {
        const c = all[i] as WsChannel;
        if (this.#channels.has(c)) c.tick();
      }
      if (to < all.length) this.#clock.defer(() => slice(to));
    };
    slice(0);
  }
}
