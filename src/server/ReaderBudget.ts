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
  /** Set by the budget while it watches this connection. */
  watching: boolean;
  /** The budget stopped watching: the reader caught up or left. */
  settled(): void;
  /** The reader is cut off: drop the connection now (the budget has already forgotten it). */
  cut(): void;
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
 * - Per connection: a watched reader past `maxConnectionBytes` that takes no byte for
 *   `slowReaderMs` is cut off.
 * - Per server: the bytes of every watched connection plus the results kept for readers who were
 *   cut off ({@link keep}) stay under `maxServerBytes`: when a write takes the total past it, the
 *   connections past `maxConnectionBytes` are cut, most unread first, until it fits; a result that
 *   does not fit is not kept (its reader gets an error instead).
 *
 * Unread bytes are read from the connection (`writableLength`, `bufferedAmount`), never counted
 * per message.
 */
export class ReaderBudget {
  readonly #o: ReaderBudgetOptions;
  readonly #watched = new Map<ReaderConnection, Watch>();
  #watchedBytes = 0;
  #keptBytes = 0;
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

  /** Call after writing a message of {@link LARGE_MESSAGE_CHARS} or more to `conn`. */
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
    this.#charge(w, unread);
    if (this.heldBytes > this.#o.maxServerBytes) this.#relieve();
  }

  /** Stops watching `conn` (it closed). */
  forget(conn: ReaderConnection): void {
    const w = this.#watched.get(conn);
    if (w !== undefined) this.#forget(conn, w);
  }

  /** Counts `bytes` of a kept result when they fit under the server's cap; false when they do not. */
  keep(bytes: number): boolean {
    if (this.heldBytes + bytes > this.#o.maxServerBytes) return false;
    this.#keptBytes += bytes;
    return true;
  }

  /** Notes a result that did not fit: its reader gets RESULT_DROPPED instead. */
  dropped(): void {
    this.#o.onDropped?.();
  }

  /** Releases bytes counted by {@link keep} (read, or expired). */
  release(bytes: number): void {
    this.#keptBytes = Math.max(0, this.#keptBytes - bytes);
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

  /** Cuts the connections past their cap, most unread first, until the total fits. */
  #relieve(): void {
    const over: [ReaderConnection, Watch][] = [];
    for (const [conn, w] of this.#watched) {
      this.#charge(w, conn.unread());
      if (w.charged > this.#o.maxConnectionBytes) over.push([conn, w]);
    }
    over.sort((a, b) => b[1].charged - a[1].charged);
    for (const [conn, w] of over) {
      if (this.heldBytes <= this.#o.maxServerBytes) return;
      this.#cut(conn, w, "server");
    }
  }

  #ensureTimer(): void {
    if (this.#timer !== null) return;
    // A quarter of the allowance: a stalled reader goes between 1 and 1.25 times slowReaderMs after its last progress.
    this.#timer = this.#o.clock.setTimeout(this.#tick, Math.max(10, Math.floor(this.#o.slowReaderMs / 4)));
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
      this.#charge(w, unread);
      if (unread < w.lowest) {
        w.lowest = unread;
        w.progressMs = now;
      } else if (unread > this.#o.maxConnectionBytes && now - w.progressMs >= this.#o.slowReaderMs) {
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
