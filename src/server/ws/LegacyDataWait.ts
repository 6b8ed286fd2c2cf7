/**
 * A Gradio 3.x socket's wait for its inputs after `send_data`. The inputs must come before the
 * client has been silent for the router's `dataTimeoutMs`. By then the job already holds its slot
 * (and, in a batch, its siblings wait), so a client that never answers loses its turn at the end of
 * the first period, instead of Gradio's 60 s; one whose (large) answer is still arriving at a fair
 * rate keeps it, up to {@link LEGACY_DATA_MAX_MS}. `ws` hands over a frame only once it is
 * complete, so progress is read from the raw connection.
 */
import type { Duplex } from "node:stream";
import type { TimerHandle } from "../../clock.ts";
import type { LegacyRouter } from "./LegacyRouter.ts";

/**
 * Longest wait for the inputs after `send_data`, however steadily they come, ms (Gradio 3.x's
 * own limit; a longer `legacyDataTimeoutMs` raises it).
 */
export const LEGACY_DATA_MAX_MS = 60_000;
/**
 * Least rate, bytes/s, at which inputs still arriving when a silence period ends must have come
 * during it to keep the turn: a slow uplink sending a large inline image passes, a client that
 * trickles bytes to hold its slot does not.
 */
export const LEGACY_DATA_MIN_BYTES_PER_S = 4096;

/** Why a 3.x event lost its turn: no byte in the first period, too few in a later one, or too long in all. */
export type LegacyDataLoss = "silent" | "slow" | "max";

/** The message of a 3.x event that lost its turn because its inputs did not come in time. */
export function legacyDataTimeoutMessage(why: LegacyDataLoss, ms: number): string {
  const s = `${Math.round(ms / 100) / 10} s`;
  const what =
    why === "silent"
      ? `Your inputs did not arrive within ${s} after your turn came`
      : why === "slow"
        ? `Your inputs arrived too slowly (under ${LEGACY_DATA_MIN_BYTES_PER_S / 1024} KiB/s)`
        : `Your inputs took more than ${s} to arrive`;
  return `${what}, so your place went to the next request. Please try again.`;
}

/** Called once when the wait is lost: why, the limit that was passed (ms, for the message), and the time waited. */
export type LegacyDataLost = (why: LegacyDataLoss, limitMs: number, elapsedMs: number) => void;

/** Times one socket's wait for its inputs (one at a time). See the file comment. */
export class LegacyDataWait {
  readonly #router: LegacyRouter;
  /** The raw connection under the socket: its bytes show inputs that are still arriving. */
  readonly #raw: Duplex | null;
  readonly #onLost: LegacyDataLost;
  #timer: TimerHandle | null = null;
  #waiting = false;
  /** Bytes received in the current silence period. */
  #bytes = 0;
  /** When `send_data` went out (clock ms). */
  #sinceMs = 0;
  /** Whether the wait was extended past its first period (the inputs were arriving). */
  #extended = false;

  constructor(router: LegacyRouter, raw: Duplex | null, onLost: LegacyDataLost) {
    this.#router = router;
    this.#raw = raw;
    this.#onLost = onLost;
  }

  /** `send_data` went out: the first silence period starts now. */
  start(): void {
    this.#waiting = true;
    this.#bytes = 0;
    this.#extended = false;
    this.#sinceMs = this.#router.clock.now();
    this.#raw?.on("data", this.#countBytes);
    this.#arm(this.#router.dataTimeoutMs);
  }

  /** The inputs came, or the event ended: stops the timer and the byte count. */
  stop(): void {
    this.#waiting = false;
    if (this.#timer !== null) this.#router.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#raw?.off("data", this.#countBytes);
  }

  readonly #countBytes = (chunk: Buffer): void => {
    this.#bytes += chunk.byteLength;
  };

  #arm(ms: number): void {
    if (this.#timer !== null) this.#router.clock.clearTimeout(this.#timer);
    this.#timer = this.#router.clock.setTimeout(this.#onPeriodEnd, ms);
  }

  readonly #onPeriodEnd = (): void => {
    this.#timer = null;
    if (!this.#waiting) return;
    const periodMs = this.#router.dataTimeoutMs;
    const elapsedMs = this.#router.clock.now() - this.#sinceMs;
    const maxMs = Math.max(LEGACY_DATA_MAX_MS, periodMs);
    const steady = this.#bytes >= (LEGACY_DATA_MIN_BYTES_PER_S * periodMs) / 1000;
    if (steady && elapsedMs < maxMs) {
      this.#bytes = 0;
      this.#extended = true;
      this.#arm(Math.min(periodMs, maxMs - elapsedMs));
      return;
    }
    this.stop();
    const why = elapsedMs >= maxMs ? "max" : this.#extended ? "slow" : "silent";
    this.#onLost(why, why === "max" ? maxMs : periodMs, elapsedMs);
  };
}
