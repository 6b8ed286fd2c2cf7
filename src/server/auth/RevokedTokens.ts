/** How often a full table may be swept for expired entries, ms (a sweep walks every entry). */
const SWEEP_EVERY_MS = 60_000;

/**
 * Login tokens revoked by `/logout` before their expiry, in bounded memory.
 *
 * Each revocation is kept until the token would have expired anyway, then dropped. When the table
 * is full (someone with a valid login logging in and out in a loop), the oldest revocation is not
 * simply forgotten, which would make its token valid again: instead every token issued at or
 * before it is refused from then on (a floor on the issue time). The cost of overflow is that some
 * older logins must log in again; a revoked token never comes back.
 */
export class RevokedTokens {
  readonly #now: () => number;
  readonly #maxEntries: number;
  /** Token id → its issue and expiry times (wall-clock ms, as in the token). Insertion ordered. */
  readonly #entries = new Map<string, { issuedMs: number; expiresMs: number }>();
  /** Tokens issued at or before this time are refused. */
  #floorMs = Number.NEGATIVE_INFINITY;
  #lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(now: () => number, maxEntries = 100_000) {
    this.#now = now;
    this.#maxEntries = maxEntries;
  }

  /** Revocations held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Revokes token `id`, issued at `issuedMs`, valid until `expiresMs`. */
  revoke(id: string, issuedMs: number, expiresMs: number): void {
    const now = this.#now();
    if (expiresMs <= now || issuedMs <= this.#floorMs) return;
    if (this.#entries.size >= this.#maxEntries && now - this.#lastSweepMs >= SWEEP_EVERY_MS) {
      this.#lastSweepMs = now;
      for (const [k, e] of this.#entries) if (e.expiresMs <= now) this.#entries.delete(k);
    }
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.entries().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value[0]);
      this.#floorMs = Math.max(this.#floorMs, oldest.value[1].issuedMs);
    }
    this.#entries.set(id, { issuedMs, expiresMs });
  }

  /** Whether token `id`, issued at `issuedMs`, was revoked. */
  has(id: string, issuedMs: number): boolean {
    if (issuedMs <= this.#floorMs) return true;
    const e = this.#entries.get(id);
    if (e === undefined) return false;
    if (e.expiresMs <= this.#now()) {
      // Expired tokens are refused by their own expiry: the revocation is no longer needed.
      this.#entries.delete(id);
      return false;
    }
    return true;
  }
}
