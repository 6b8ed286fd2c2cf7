import type { Clock, TimerHandle } from "../clock.ts";

/**
 * Messages at least this long (characters) are accounted. Smaller ones cannot make a reader slow
 * on their own (the sinks coalesce while a connection is congested), so the hot path of ordinary
 * predictions pays one length comparison and nothing else.
 */
export const LARGE_MESSAGE_CHARS = 64 * 1024;

/** A connection whose unread bytes a {@link ReaderBudget} can read and which it can cut off. */
export interface ReaderConnection {
  /** Bytes written and not yet taken by the peer (Node's buffers; a closed connection has none). */
  unread(): number;
  /**
   * Bytes the connection keeps besides its buffers while watched: the final messages it wrote,
   * held to hand back if it is cut off. They count with its unread bytes.
   */
  readonly retainedBytes: number;
  /** Set by the budget while it watches this connection. */
  watching: boolean;
  /** The budget stopped watching: the reader caught up or left. */
  settled(): void;
  /** The reader is cut off: drop the connection now (the budget has already forgotten it). */
  cut(): void;
}

/** Whoever keeps results counted by {@link ReaderBudget.keep} (a session), and can give them up. */
export interface KeptOwner {
  /**
   * The server needs the room for a reader that is reading: drop the kept results (their readers
   * get RESULT_DROPPED when they come back). Returns how many results it gave up.
   */
  evict(): number;
}

/** Options of {@link ReaderBudget}. */
export interface ReaderBudgetOptions {
  readonly clock: Clock;
  /** Unread bytes one connection may hold before it must show progress. */
  readonly maxConnectionBytes: number;
  /** Unread bytes of all watched connections plus kept results, before the furthest behind are cut. */
  readonly maxServerBytes: number;
  /** How long a connection past `maxConnectionBytes` may go without taking a byte, ms. */
  readonly slowReaderMs: number;
  /** Told about every cut, with the bytes the reader had left unread. */
  readonly onCut?: (unreadBytes: number, why: "slow" | "server") => void;
  /** Told about every result that was not kept (its reader gets RESULT_DROPPED instead). */
  readonly onDropped?: () => void;
}

interface Watch {
  /** Bytes counted for this connection in the total. */
  charged: number;
  /** Fewest unread bytes seen since the reader last made progress. */
  lowest: number;
  /** When the reader last took bytes (or was first watched), clock ms. */
  progressMs: number;
}

/**
 * Bounds the memory that readers who do not read can hold. A connection that is left with
 * {@link LARGE_MESSAGE_CHARS} or more unread after a write is watched (its sink calls
 * {@link wrote}); it stops being watched once its reader has taken all but a few bytes.
 *
 * - Per connection: a watched reader holding more than `maxConnectionBytes` (its unread bytes plus
 *   the final messages kept for it) that takes no byte for `slowReaderMs` is cut off.
 * - Per server: the bytes of every watched connection plus the results kept for readers who were
 *   cut off or are away ({@link keep}) stay under `maxServerBytes`. When a write takes the total
 *   past it, until it fits: the watched readers that took nothing since the last round are cut
 *   (longest stalled first), then kept results are given up (oldest first: a reader that reads
 *   now wins over one that left), then the other readers past their cap (most held first; not
 *   one whose message alone is over the cap: it gets the slow rule). A result that does not fit is
 *   not kept (its reader gets an error instead).
 *
 * Unread bytes are read from the connection (`writableLength`, `bufferedAmount`), never counted
 * per message.
 */
export class ReaderBudget {
  readonly #o: ReaderBudgetOptions;
  readonly #watched = new Map<ReaderConnection, Watch>();
  #watchedBytes = 0;
  #keptBytes = 0;
  /** Kept bytes per owner, oldest first. */
  readonly #kept = new Map<KeptOwner, number>();
  #timer: TimerHandle | null = null;
  #cuts = 0;

  constructor(options: ReaderBudgetOptions) {
    this.#o = options;
  }

  /** Bytes counted now: unread bytes of watched connections plus kept results. */
  get heldBytes(): number {
    return this.#watchedBytes + this.#keptBytes;
  }

  /** Bytes of results kept for readers who were cut off or are away. */
  get keptBytes(): number {
    return this.#keptBytes;
  }

  /** Connections watched now. */
  get watchedConnections(): number {
    return this.#watched.size;
  }

  /** Readers cut off so far. */
  get cuts(): number {
    return this.#cuts;
  }

  /** Call after writing a message of {@link LARGE_MESSAGE_CHARS} or more to `conn`, or retaining one. */
  wrote(conn: ReaderConnection): void {
    const unread = conn.unread();
    let w = this.#watched.get(conn);
    if (unread < LARGE_MESSAGE_CHARS) {
      if (w !== undefined) this.#forget(conn, w);
      return;
    }
    if (w === undefined) {
      w = { charged: 0, lowest: unread, progressMs: this.#o.clock.now() };
      this.#watched.set(conn, w);
      conn.watching = true;
      this.#ensureTimer();
    }
    // A write is not progress: the stall clock keeps running.
    w.lowest = Math.max(w.lowest, unread);
    this.#charge(w, unread + conn.retainedBytes);
    if (this.heldBytes > this.#o.maxServerBytes) this.#relieve();
  }

  /** Stops watching `conn` (it closed). */
  forget(conn: ReaderConnection): void {
    const w = this.#watched.get(conn);
    if (w !== undefined) this.#forget(conn, w);
  }

  /** Counts `bytes` of a result `owner` keeps, when they fit under the server's cap; false when they do not. */
  keep(owner: KeptOwner, bytes: number): boolean {
    if (this.heldBytes + bytes > this.#o.maxServerBytes) return false;
    this.#keptBytes += bytes;
    this.#kept.set(owner, (this.#kept.get(owner) ?? 0) + bytes);
    return true;
  }

  /** Notes a result that did not fit: its reader gets RESULT_DROPPED instead. */
  dropped(): void {
    this.#o.onDropped?.();
  }

  /** Releases every byte `owner` kept (read, expired or evicted). */
  release(owner: KeptOwner): void {
    const bytes = this.#kept.get(owner);
    if (bytes === undefined) return;
    this.#kept.delete(owner);
    this.#keptBytes -= bytes;
  }

  /** Stops the watchdog (the server is closing); watched connections are left to their owners. */
  close(): void {
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = null;
    for (const [conn, w] of this.#watched) this.#forget(conn, w);
  }

  #charge(w: Watch, unread: number): void {
    this.#watchedBytes += unread - w.charged;
    w.charged = unread;
  }

  #forget(conn: ReaderConnection, w: Watch): void {
    this.#watched.delete(conn);
    this.#watchedBytes -= w.charged;
    conn.watching = false;
    conn.settled();
  }

  #cut(conn: ReaderConnection, w: Watch, why: "slow" | "server"): void {
    const unread = w.charged;
    this.#watched.delete(conn);
    this.#watchedBytes -= w.charged;
    conn.watching = false;
    this.#cuts++;
    this.#o.onCut?.(unread, why);
    conn.cut();
  }

  /** Makes the total fit (see the class comment for the order). */
  #relieve(): void {
    const now = this.#o.clock.now();
    const stalled: [ReaderConnection, Watch][] = [];
    const over: [ReaderConnection, Watch][] = [];
    for (const [conn, w] of this.#watched) {
      this.#charge(w, conn.unread() + conn.retainedBytes);
      if (now - w.progressMs >= this.#tickMs) stalled.push([conn, w]);
      else if (w.charged > this.#o.maxConnectionBytes) over.push([conn, w]);
    }
    stalled.sort((a, b) => a[1].progressMs - b[1].progressMs);
    for (const [conn, w] of stalled) {
      if (this.heldBytes <= this.#o.maxServerBytes) return;
      this.#cut(conn, w, "server");
    }
    for (const owner of this.#kept.keys()) {
      if (this.heldBytes <= this.#o.maxServerBytes) return;
      for (let n = owner.evict(); n > 0; n--) this.dropped();
      this.release(owner);
    }
    over.sort((a, b) => b[1].charged - a[1].charged);
    for (const [conn, w] of over) {
      if (this.heldBytes <= this.#o.maxServerBytes) return;
      // A result larger than the cap on its own can still reach a reader that reads (the slow rule applies).
      if (w.charged > this.#o.maxServerBytes) continue;
      this.#cut(conn, w, "server");
    }
  }

  /** Period of the watchdog: a quarter of the allowance, so a stalled reader goes between 1 and 1.25 times slowReaderMs after its last progress. */
  get #tickMs(): number {
    return Math.max(10, Math.floor(this.#o.slowReaderMs / 4));
  }

  #ensureTimer(): void {
    if (this.#timer !== null) return;
    this.#timer = this.#o.clock.setTimeout(this.#tick, this.#tickMs);
  }

  readonly #tick = (): void => {
    this.#timer = null;
    const now = this.#o.clock.now();
    for (const [conn, w] of this.#watched) {
      const unread = conn.unread();
      if (unread < LARGE_MESSAGE_CHARS) {
        this.#forget(conn, w);
        continue;
      }
      this.#charge(w, unread + conn.retainedBytes);
      if (unread < w.lowest) {
        w.lowest = unread;
        w.progressMs = now;
      } else if (w.charged > this.#o.maxConnectionBytes && now - w.progressMs >= this.#o.slowReaderMs) {
        this.#cut(conn, w, "slow");
      }
    }
    if (this.#watched.size > 0) this.#ensureTimer();
  };
}

/**
 * About how many characters `value` takes as JSON, without building it: string lengths plus a
 * little per value. Used on outputs buffered for an absent reader; a typical output is a few
 * values, so this is a short walk.
 */
export function roughSize(value: unknown, depth = 0): number {
  if (typeof value === "string") return value.length + 2;
  if (value === null || typeof value !== "object" || depth > 32) return 8;
  let n = 2;
  if (Array.isArray(value)) {
    for (const v of value as unknown[]) n += roughSize(v, depth + 1) + 1;
    return n;
  }
  for (const k in value) n += k.length + 4 + roughSize((value as Record<string, unknown>)[k], depth + 1);
  return n;
}
