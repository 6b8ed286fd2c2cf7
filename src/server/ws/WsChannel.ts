import type { Duplex } from "node:stream";
import { WebSocket } from "ws";
import { LARGE_MESSAGE_CHARS, type ReaderBudget, type ReaderConnection } from "../ReaderBudget.ts";

/** Bytes queued for one socket above which it counts as congested (messages then coalesce upstream). */
export const WS_HIGH_WATER_BYTES = 64 * 1024;
/** A congested socket counts as drained again below this many queued bytes. */
export const WS_LOW_WATER_BYTES = 16 * 1024;

/**
 * One server-side WebSocket with the two things every queue socket needs on top of `ws`:
 *
 * - backpressure: {@link send} returns false once `bufferedAmount` passes
 *   {@link WS_HIGH_WATER_BYTES}; the caller then keeps later messages in a bounded, coalescing
 *   outbox until {@link onDrain} fires. While congested the socket also stops reading, so a client
 *   that sends requests without reading the answers is slowed by TCP instead of growing our buffer.
 * - liveness: {@link tick} (called by {@link WsPinger}) pings; a peer that neither answered the
 *   last ping, sent a frame, nor took any of our queued bytes since is terminated, which ends its
 *   events the way any disconnect does.
 * - memory: a large frame puts it under the server's {@link ReaderBudget}, which reads
 *   `bufferedAmount` and may cut it off (terminate) when its peer leaves too much unread.
 * - one write per burst: given the raw socket, the frames sent in one tick (and in the microtasks
 *   right after it) leave in one `writev`. `ws` writes each frame on its own (a syscall each,
 *   writes were the largest cost of a 3.x prediction in the profile), and a 3.x socket's frames
 *   come in pairs: `estimation` then `process_starts` (its job's start, a microtask later; with
 *   the inputs at start, `estimation` then `send_data`), `process_completed` then the close frame.
 */
export class WsChannel implements ReaderConnection {
  readonly ws: WebSocket;
  watching = false;
  /** Set by the owner: bytes of final messages it holds while this channel is watched. */
  retainedBytes = 0;
  readonly #budget: ReaderBudget | null;
  #cutFn: (() => void) | null = null;
  #settledFn: (() => void) | null = null;
  /** Set by a pong, a message or a drain; cleared by each {@link tick}. */
  alive = true;
  #congested = false;
  #bufferedAtTick = 0;
  #drainFns: (() => void)[] | null = null;
  #onFlushed: ((err?: Error) => void) | null = null;
  /** The socket under `ws`, corked while a burst of frames gathers; null: no coalescing. */
  readonly #raw: Duplex | null;
  #corked = false;

  constructor(ws: WebSocket, budget: ReaderBudget | null = null, raw: Duplex | null = null) {
    this.ws = ws;
    this.#budget = budget;
    // A stand-in connection without cork (a test's) writes frame by frame.
    this.#raw = raw !== null && typeof raw.cork === "function" ? raw : null;
    this.#raw?.once("finish", destroySelf);
    ws.on("pong", markAlive);
    if (budget !== null) ws.once("close", forgetChannel);
    channels.set(ws, this);
  }

  /** True while the socket is open. */
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** True while queued bytes are above the high-water mark. */
  get congested(): boolean {
    return this.#congested;
  }

  /**
   * Sends one text frame. Returns false when the socket is now congested (the frame is queued all
   * the same): send nothing more that can wait until {@link onDrain}. A closed socket drops it.
   */
  send(text: string): boolean {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return true;
    if (!this.#corked && this.#raw !== null) this.#cork(this.#raw);
    if (text.length >= LARGE_MESSAGE_CHARS) return this.#sendLarge(text);
    if (this.#congested) {
      ws.send(text, this.#flushed());
      return false;
    }
    // A frame's callback runs once it is handed to the kernel, and so is everything before it.
    // Only a frame that may cross the mark needs one (a UTF-8 character is at most 3 bytes).
    if (ws.bufferedAmount + text.length * 3 < WS_HIGH_WATER_BYTES) {
      ws.send(text);
      return true;
    }
    ws.send(text, this.#flushed());
    if (ws.bufferedAmount < WS_HIGH_WATER_BYTES) return true;
    this.#congested = true;
    // Stop reading the client's frames until it reads ours.
    ws.pause();
    return false;
  }

  /** A frame large enough to count: sent with a flush callback, then shown to the budget. */
  #sendLarge(text: string): boolean {
    const ws = this.ws;
    ws.send(text, this.#flushed());
    this.#budget?.wrote(this);
    if (ws.readyState !== WebSocket.OPEN) return true;
    if (this.#congested) return false;
    if (ws.bufferedAmount < WS_HIGH_WATER_BYTES) return true;
    this.#congested = true;
    ws.pause();
    return false;
  }

  unread(): number {
    const ws = this.ws;
    return ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CLOSING ? ws.bufferedAmount : 0;
  }

  settled(): void {
    this.retainedBytes = 0;
    this.#settledFn?.();
  }

  /** The owner now holds `bytes` more of final messages for this watched channel. */
  retain(bytes: number): void {
    this.retainedBytes += bytes;
    this.#budget?.wrote(this);
  }

  /** Cut off by the budget: the owner's hook runs, then the socket is terminated (its buffers freed). */
  cut(): void {
    this.retainedBytes = 0;
    const fn = this.#cutFn;
    this.#cutFn = null;
    fn?.();
    this.ws.terminate();
  }

  /** Sets what runs when the budget cuts this socket off, before it is terminated. */
  onCut(fn: () => void): void {
    this.#cutFn = fn;
  }

  /** Sets what runs when the budget stops watching this socket (its peer caught up). */
  onSettled(fn: () => void): void {
    this.#settledFn = fn;
  }

  /** The socket closed: the budget stops counting it. */
  forget(): void {
    if (this.watching) this.#budget?.forget(this);
  }

  /** Calls `fn` once, when the socket is no longer congested (at once if it is not). */
  onDrain(fn: () => void): void {
    if (!this.#congested) {
      queueMicrotask(fn);
      return;
    }
    (this.#drainFns ??= []).push(fn);
  }

  /** Closes with `code` and a short reason (at most 123 bytes of UTF-8). */
  close(code: number, reason: string): void {
    const ws = this.ws;
    if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return;
    if (this.#congested) ws.resume();
    ws.close(code, reason);
  }

  /**
   * One liveness round: terminates a peer that showed no sign of life since the last round
   * (returns false), else pings it. A congested peer that took some of our bytes is alive.
   */
  tick(): boolean {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return ws.readyState === WebSocket.CONNECTING;
    if (this.#congested && ws.bufferedAmount < this.#bufferedAtTick) this.alive = true;
    if (!this.alive) {
      ws.terminate();
      return false;
    }
    this.alive = false;
    this.#bufferedAtTick = ws.bufferedAmount;
    ws.ping();
    return true;
  }

  /**
   * Holds the socket's writes until this tick's frames, and those of the microtasks queued when it
   * ends (a join's dispatch), are all sent. A socket that closes meanwhile writes what it holds
   * then (`end` uncorks); one destroyed drops it, as it would drop bytes the kernel had not sent.
   */
  #cork(raw: Duplex): void {
    this.#corked = true;
    raw.cork();
    // The microtasks queued so far (a join's dispatch) run before the uncork.
    process.nextTick(queueMicrotask, this.#uncork);
  }

  /** Ends the burst: {@link #cork}'s writes leave together. */
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#raw?.uncork();
  };

  #flushed(): (err?: Error) => void {
    this.#onFlushed ??= (err?: Error) => {
      if (err !== undefined && err !== null) return;
      this.alive = true;
      if (!this.#congested || this.ws.bufferedAmount > WS_LOW_WATER_BYTES) return;
      this.#congested = false;
      this.ws.resume();
      const fns = this.#drainFns;
      this.#drainFns = null;
      if (fns !== null) for (const fn of fns) fn();
    };
    return this.#onFlushed;
  }
}

/**
 * `ws` ends the socket once the close handshake is done (both close frames, or its close timer),
 * then ends it again at the peer's FIN. Node builds an error with a full stack trace for each end
 * of an ended stream, and drops it (this one and the frame reader's, which `ws` also ends twice,
 * were ~7% of the server's CPU per 3.x prediction, a socket each). Nothing is left to read or
 * write once our side has finished, so the socket is destroyed then: the peer's FIN is not read,
 * and the close event comes at once.
 */
function destroySelf(this: Duplex): void {
  this.destroy();
}

/** Socket → channel, so that one shared listener serves every socket (no closure per socket). */
const channels = new WeakMap<WebSocket, WsChannel>();

function markAlive(this: WebSocket): void {
  const c = channels.get(this);
  if (c !== undefined) c.alive = true;
}

function forgetChannel(this: WebSocket): void {
  channels.get(this)?.forget();
}

/** The channel of a socket, if any. */
export function channelOf(ws: WebSocket): WsChannel | undefined {
  return channels.get(ws);
}
