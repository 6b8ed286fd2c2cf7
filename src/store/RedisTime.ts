/**
 * This node's estimate of Redis' clock, from its heartbeats (the renew script answers with Redis'
 * time): a claim passes it to its script, which then needs no TIME command for the claim's start
 * and lease expiry (one command in ten of a prediction under load).
 *
 * The offset is taken against the moment the heartbeat was sent, so the estimate is never earlier
 * than Redis' clock (the script read its time after that moment) and later by at most the
 * heartbeat's round trip: a lease scored from it lasts that much longer, never less. What a claim
 * can lose is the time its own request takes to reach Redis, which the first renewal (a third of a
 * lease later) makes up. No estimate (before the first heartbeat, after a slow or stale one): the
 * scripts ask Redis.
 */
import { systemClock, type Clock } from "../clock.ts";

/** A heartbeat slower than this share of a lease gives no estimate: too loose a bound. */
const MAX_ROUND_TRIP_SHARE = 0.1;

/** See the file comment. */
export class RedisTime {
  readonly #leaseMs: number;
  readonly #clock: Clock;
  /** Redis' time minus this process's monotonic time, at the last usable heartbeat; null: none. */
  #offsetMs: number | null = null;
  /** When that heartbeat answered (monotonic ms). */
  #atMs = 0;

  constructor(leaseMs: number, clock: Clock = systemClock) {
    this.#leaseMs = leaseMs;
    this.#clock = clock;
  }

  /** A heartbeat sent at `sentAtMs` (the clock's time) read Redis' clock at `redisMs`. */
  sample(sentAtMs: number, redisMs: number): void {
    const now = this.#clock.now();
    if (now - sentAtMs > this.#leaseMs * MAX_ROUND_TRIP_SHARE) return;
    this.#offsetMs = redisMs - sentAtMs;
    this.#atMs = now;
  }

  /** Forgets the estimate (the connection broke: Redis may be another server now). */
  reset(): void {
    this.#offsetMs = null;
  }

  /** Redis' time now as estimated here (ms), or "" when there is no recent estimate. */
  nowMs(): number | "" {
    const now = this.#clock.now();
    if (this.#offsetMs === null || now - this.#atMs > this.#leaseMs) return "";
    return Math.ceil(now + this.#offsetMs);
  }
}
