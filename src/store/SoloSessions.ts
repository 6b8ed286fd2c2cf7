/**
 * The sessions this node holds alone for sure: their admission asks Redis nothing about other
 * nodes (docs/redis-protocol.md, "Sessions held by several nodes"), which costs a kept session two
 * commands per join otherwise (SCARD of its pending set, XLEN of its log).
 *
 * A session is solo here from the join that recorded its owner (the first join of a session on any
 * node records it, so no other node had joined it then) until another node touches it: every node
 * that joins a session it does not hold solo, or adopts one, says so to all (`s <session>` on the
 * wake channel), and this node then forgets it, catching up with the session if it held it solo
 * (a join of it here may have skipped the question just before the word came: what it delivered
 * in-process meanwhile is what a late `H` leaves behind too, and its final is never lost). Never
 * longer than half the owner record's TTL (a record that expired could be written again by another
 * node, which would think the session solo too), and not at all while a live node may not say `s`
 * (a node of an earlier revision: the heartbeat counts the nodes that say it), after a break of the
 * connections (a word may have been lost), or when another node touched the session lately (an
 * adoption before any join).
 */
import { systemClock, type Clock } from "../clock.ts";

/** Most sessions remembered, either way (cleared when full: forgetting only costs the question). */
const MAX_SESSIONS = 50_000;

/** See the file comment. */
export class SoloSessions {
  #validMs: number;
  readonly #recentMs: number;
  readonly #clock: Clock;
  /** Solo sessions: until when (monotonic ms). */
  readonly #solo = new Map<string, number>();
  /** Sessions another node touched: when (monotonic ms). */
  readonly #touched = new Map<string, number>();
  /** Every live node says `s` (the last heartbeat's count, and no hello without it since). */
  #allTell = false;

  /** `validMs`: half the owner records' TTL; `recentMs`: how long a touch elsewhere rules a session out. */
  constructor(validMs: number, recentMs: number, clock: Clock = systemClock) {
    this.#validMs = validMs;
    this.#recentMs = recentMs;
    this.#clock = clock;
  }

  /** A heartbeat counted the live nodes that say `s`: all of them, or not. */
  counted(allTell: boolean): void {
    if (!allTell) this.clear();
    this.#allTell = allTell;
  }

  /**
   * Another node's hello (`h`; without "s": it does not tell the sessions it touches, and solo
   * sessions end until a count says all tell) or word that it touched a session (`s <session>`).
   * Returns the session when this node held it solo: it must catch up with it.
   */
  heard(kind: "h" | "s", arg: string | undefined): string | null {
    if (kind === "h") {
      if (arg !== "s") {
        this.clear();
        this.#allTell = false;
      }
      return null;
    }
    return arg !== undefined && this.touchedElsewhere(arg) ? arg : null;
  }

  /** This node's admission recorded the session's owner. */
  recorded(sessionHash: string): void {
    if (!this.#allTell) return;
    const now = this.#clock.now();
    const touched = this.#touched.get(sessionHash);
    if (touched !== undefined && now - touched < this.#recentMs) return;
    if (this.#solo.size >= MAX_SESSIONS) this.#solo.clear();
    this.#solo.set(sessionHash, now + this.#validMs);
  }

  /**
   * The owner records' TTL changed (see RedisSessionOwners.keepsState): solo for at most half of
   * it from now on. Sessions held solo under a longer one are let go (that costs only a question).
   */
  useValidMs(validMs: number): void {
    if (validMs < this.#validMs) this.#solo.clear();
    this.#validMs = validMs;
  }

  /**
   * The session's owner record was refreshed (its TTL starts again): a session held solo stays so
   * for another half TTL. One no longer valid is not revived: its record may have expired before.
   */
  extend(sessionHash: string): void {
    const until = this.#solo.get(sessionHash);
    if (until === undefined) return;
    const now = this.#clock.now();
    if (now < until) this.#solo.set(sessionHash, now + this.#validMs);
    else this.#solo.delete(sessionHash);
  }

  /** Whether this node holds the session alone for sure. */
  has(sessionHash: string): boolean {
    if (!this.#allTell) return false;
    const until = this.#solo.get(sessionHash);
    if (until === undefined) return false;
    if (this.#clock.now() < until) return true;
    this.#solo.delete(sessionHash);
    return false;
  }

  /** Another node touched the session (`s`). True when this node held it solo: it must catch up. */
  touchedElsewhere(sessionHash: string): boolean {
    if (this.#touched.size >= MAX_SESSIONS) this.#touched.clear();
    this.#touched.set(sessionHash, this.#clock.now());
    return this.#solo.delete(sessionHash);
  }

  /** The session is held with another node now (shared). */
  drop(sessionHash: string): void {
    this.#solo.delete(sessionHash);
  }

  /** Holds nothing solo any more (after a break of the connections a word may have been lost). */
  clear(): void {
    this.#solo.clear();
  }
}
