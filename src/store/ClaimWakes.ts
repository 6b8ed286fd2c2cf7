import type { TimerHandle } from "../clock.ts";
import type { RedisLink } from "./RedisLink.ts";

/**
 * How long a node's claims may go untold to the other nodes, ms: their users' ranks move with each
 * claim, and they learn of it (the `c` wake-up, docs/redis-protocol.md) at most this late. Status
 * rounds are spaced by `statusUpdateMs` (1 s by default) anyway.
 */
export const CLAIM_WAKE_WINDOW_MS = 50;

/**
 * Coalesces the `c` wake-ups ("a claim: ranks moved") of this node. A script that may claim takes
 * `alone` = "1" (no other node listens: no wake-up at all), "0" (publish `c` if it claims) or "q"
 * (another claim of this node told the others less than {@link CLAIM_WAKE_WINDOW_MS} ago: stay
 * quiet; `j` and `r`, which say that work may be claimable, are published as with "0"). The pools
 * claimed quietly get one `c` each at the window's end: under load a `PUBLISH` per claim, read by
 * every other node, was more than one Redis command in ten.
 */
export class ClaimWakes {
  readonly #link: RedisLink;
  #window: TimerHandle | null = null;
  readonly #quiet = new Set<string>();

  constructor(link: RedisLink) {
    this.#link = link;
  }

  /** The `alone` argument of the next script; `mayClaim` false: it claims nothing (no window). */
  flag(mayClaim = true): "1" | "0" | "q" {
    if (this.#link.alone) return "1";
    if (!mayClaim) return "0";
    if (this.#window !== null) return "q";
    this.#window = this.#link.clock.setTimeout(() => this.#flush(), CLAIM_WAKE_WINDOW_MS);
    return "0";
  }

  /** A script run with `flag` claimed from `poolId`. */
  claimed(flag: string, poolId: string): void {
    if (flag === "q") this.#quiet.add(poolId);
  }

  /** Stops the window (the node closes: its claims are moot). */
  close(): void {
    if (this.#window !== null) this.#link.clock.clearTimeout(this.#window);
    this.#window = null;
    this.#quiet.clear();
  }

  #flush(): void {
    this.#window = null;
    for (const pool of this.#quiet) this.#link.wake("c", pool);
    this.#quiet.clear();
  }
}
