import type { ServerResponse } from "node:http";
import { systemClock, type Clock, type TimerHandle } from "../clock.ts";
import { CLOSE_STREAM, HEARTBEAT, StreamDiffer, wireJson } from "../protocol/index.ts";
import { SSE_HEADERS, sseData, sseEvent } from "../protocol/index.ts";
import { TERMINAL_TYPES, type EngineEvent } from "../queue/index.ts";
import { LARGE_MESSAGE_CHARS, type ReaderBudget, type ReaderConnection } from "./ReaderBudget.ts";

/** Why the hub ends a sink. */
export type FinishReason = "idle" | "replaced" | "shutdown";

/** Where a session's messages go: an open event stream or socket. */
export interface Sink {
  /**
   * True for a sink that outlives its events (the multiplexed WebSocket): the hub keeps it
   * attached when nothing is pending, and may attach it to a session that has no event yet.
   */
  readonly persistent?: boolean;
  /** Writes one message. False means the reader is behind: buffer until `onDrain` fires. */
  write(event: EngineEvent): boolean;
  /**
   * Ends the stream the way the protocol says: "idle" (the session has nothing pending; never
   * for persistent sinks), "replaced" (a newer stream of the session took over), "shutdown".
   */
  finish(reason: FinishReason): void;
  /** Keeps proxies and the client's idle timers happy. */
  heartbeat(): void;
  /** Called once when the reader can take more after `write` returned false. */
  onDrain(fn: () => void): void;
  /** Called once when the connection goes away (not after `finish`). */
  onClose(fn: () => void): void;
  /**
   * Sets what runs once when the reader is cut off for not reading (see {@link ReaderBudget}):
   * `handler(sessionHash, this, finals)` with the final messages it may not have read, to keep for
   * its return. `onClose` does not fire then. (A handler and a hash, not a closure: one per stream.)
   */
  onCut?(handler: CutHandler, sessionHash: string): void;
  /**
   * The stream may end soon (its session looks idle; the store is asked): if its events waited in
   * the queue, what it wrote in this tick waits for that end, at most {@link STATUS_HOLD_MS}, to
   * leave with it in one write. {@link releaseHeld} sends it at once.
   */
  holdForEnd?(): void;
  /** Sends what {@link holdForEnd} or a status message's hold kept back. */
  releaseHeld?(): void;
}

/**
 * How long queue-status messages (`estimation`, `process_starts`) of an event stream wait for the
 * stream's next message before leaving on their own, ms, when their ETA says that message is due
 * within this time (a status a person would see for longer goes at once); also the most a final
 * waits for the stream's end ({@link Sink.holdForEnd}). Why: a front on a shared queue saw an
 * event wait a few ms for its slot and wrote its stream four times (the estimation with the
 * headers, the start with the result, the end) where the in-memory store writes once, each write
 * a system call on both sides, the largest cost of a prediction there (bench/README.md,
 * 2026-12-06). 50 ms: a waiting user's estimations are paced at `statusUpdateMs` (1 s by default)
 * anyway, and at 20 ms a Redis front's estimations at 150 users (a wait of ~40 ms) left alone again.
 * Results and output never wait for it.
 */
export const STATUS_HOLD_MS = 50;

/** Told that `sink`, the stream of `sessionHash`, was cut off with `finals` maybe unread. */
export type CutHandler = (sessionHash: string, sink: Sink, finals: UnreadFinal[]) => void;

/** A final message a cut-off reader had not read, and its size as written. */
export interface UnreadFinal {
  readonly event: EngineEvent;
  readonly bytes: number;
}

/**
 * Base for sinks over an HTTP response used as an event stream. A large write puts it under the
 * server's {@link ReaderBudget}, which reads its socket's `writableLength` and may cut it off; it
 * then hands back the final messages written since it was watched, as they may be unread.
 */
abstract class ResponseSink implements Sink, ReaderConnection {
  /**
   * The response, let go once the stream has ended and its last write has left (null then). Why:
   * a sink outlives its stream (its session keeps it, a collection not yet run keeps a dead
   * session), and V8's young-generation collection keeps everything an old object points to, dead
   * or not. Through the response, an ended sink kept a prediction's request, response and headers
   * alive into the old generation: 1.31 MB survived a front's scavenge with it, 0.97 MB without
   * (bench/README.md, 2026-12-07, 08:54).
   */
  #res: ServerResponse | null;
  protected ended = false;
  watching = false;
  readonly #budget: ReaderBudget | null;
  /** Captured at once: the response lets go of its socket when it finishes. */
  readonly #socket: ServerResponse["socket"];
  #cutHandler: CutHandler | null = null;
  #cutSession = "";
  /** Final messages written while watched (null: none). */
  #unreadFinals: UnreadFinal[] | null = null;
  retainedBytes = 0;
  /** The final message being written now (and its length): the budget may cut the reader off in that very write. */
  protected finalInFlight: EngineEvent | null = null;
  protected finalInFlightChars = 0;
  /** Null until someone asks: a stream that ends in the tick it opened never needs a listener. */
  private closeFns: (() => void)[] | null = null;

  private flushQueued = false;
  private wrote = false;
  /**
   * This tick's messages, joined: written as one string, so one HTTP chunk. Written one by one,
   * each message was a chunk of its own, three iovecs in the writev (length, data, CRLF): an
   * identity prediction's stream went out as 13 iovecs where the floor sends 5 (strace).
   */
  private pending = "";
  /** Frames kept back (see {@link STATUS_HOLD_MS}), to go before anything written after them. */
  private held = "";
  private holdTimer: TimerHandle | null = null;
  /** Times the hold (the server's clock: a test's manual one moves it). */
  readonly #clock: Clock;
  /** The stream carried an estimation: its session's events waited in the queue. */
  protected waited = false;

  constructor(res: ServerResponse, budget: ReaderBudget | null = null, clock: Clock = systemClock) {
    this.#res = res;
    this.#budget = budget;
    this.#clock = clock;
    this.#socket = res.socket;
    // The headers leave with this tick's messages in one write (one syscall instead of one per
    // message: writes were the largest cost in the profile). If nothing is written in this tick,
    // they go out at its end (clients wait for them), unless a status is held: then with it.
    res.writeHead(200, SSE_HEADERS);
    this.queueFlush();
  }

  abstract write(event: EngineEvent): boolean;
  abstract finish(): void;
  abstract heartbeat(): void;

  onDrain(fn: () => void): void {
    // Let go: the stream has ended, nothing more is written.
    this.#res?.once("drain", fn);
  }

  onCut(handler: CutHandler, sessionHash: string): void {
    this.#cutHandler = handler;
    this.#cutSession = sessionHash;
  }

  unread(): number {
    const socket = this.#socket;
    return socket === null || socket.destroyed ? 0 : socket.writableLength;
  }

  settled(): void {
    this.#unreadFinals = null;
    this.retainedBytes = 0;
  }

  cut(): void {
    const finals = this.#unreadFinals ?? [];
    if (this.finalInFlight !== null) finals.push({ event: this.finalInFlight, bytes: this.finalInFlightChars });
    this.#unreadFinals = null;
    this.retainedBytes = 0;
    const handler = this.#cutHandler;
    this.#cutHandler = null;
    this.ended = true;
    this.closeFns = [];
    this.pending = "";
    this.dropHeld();
    // Destroying the socket frees what it buffered; nothing written now could reach this reader.
    this.#socket?.destroy();
    handler?.(this.#cutSession, this, finals);
  }

  /** Notes a final message just written (`chars` long), in case its reader is cut off unread. */
  protected wroteFinal(event: EngineEvent, chars: number): void {
    if (!this.watching) return;
    (this.#unreadFinals ??= []).push({ event, bytes: chars });
    this.retainedBytes += chars;
    // Its output stays alive with it: count it now.
    this.#budget?.wrote(this);
  }

  onClose(fn: () => void): void {
    // An ended stream calls no close callbacks: it keeps none either (nor its response, let go).
    const res = this.#res;
    if (this.ended || res === null) return;
    if (this.closeFns === null) {
      this.closeFns = [];
      res.once("close", () => {
        if (this.watching) this.#budget?.forget(this);
        if (this.ended) return;
        this.ended = true;
        const fns = this.closeFns ?? [];
        this.closeFns = [];
        for (const f of fns) f();
      });
    }
    this.closeFns.push(fn);
  }

  /**
   * Sends this tick's messages (or the bare headers) at the end of the tick. The response stays
   * corked until then, so that what is written in this tick (a write past the high-water mark
   * included) leaves with the headers in one write.
   */
  private queueFlush(): void {
    const res = this.#res;
    if (this.flushQueued || res === null) return;
    this.flushQueued = true;
    res.cork();
    process.nextTick(() => {
      this.flushQueued = false;
      if (!this.ended) this.flushPending();
      res.uncork();
      // Held frames take the headers with them when they leave; the hold's timer is armed only for
      // frames still held at the tick's end (a start and its result in one tick make no timer).
      if (this.held !== "") this.armHold();
      else if (!this.wrote && !this.ended) res.flushHeaders();
      if (this.ended) this.#res = null;
    });
  }

  /** Adds a chunk to this tick's write; false when the reader is behind. */
  protected send(chunk: string): boolean {
    this.wrote = true;
    this.queueFlush();
    this.pending += this.takeHeld() + chunk;
    const res = this.#res;
    if (res === null) return true;
    // A tick's worth beyond the high-water mark is written at once, so the reader's backpressure
    // shows at the same point as when every message was written (res.write says false).
    if (this.pending.length >= res.writableHighWaterMark) return this.flushPending();
    return !res.writableNeedDrain;
  }

  /** Writes what this tick joined; the result is res.write's (false: the reader is behind). */
  private flushPending(): boolean {
    const res = this.#res;
    if (res === null) return true;
    if (this.pending === "") return !res.writableNeedDrain;
    const chunk = this.pending;
    this.pending = "";
    const ok = res.write(chunk);
    if (chunk.length >= LARGE_MESSAGE_CHARS) this.#budget?.wrote(this);
    return ok;
  }

  /** Keeps a status frame back for at most {@link STATUS_HOLD_MS} (see there). */
  protected hold(chunk: string): boolean {
    this.held += chunk;
    this.queueFlush();
    return this.#res === null || !this.#res.writableNeedDrain;
  }

  holdForEnd(): void {
    if (!this.waited || this.ended || this.pending === "") return;
    // The tick's flush, queued with the pending frames, finds them held.
    this.held += this.pending;
    this.pending = "";
  }

  releaseHeld(): void {
    if (this.held === "" || this.ended) return;
    this.wrote = true;
    this.queueFlush();
    this.pending += this.takeHeld();
  }

  private armHold(): void {
    this.holdTimer ??= this.#clock.setTimeout(() => {
      this.holdTimer = null;
      this.releaseHeld();
    }, STATUS_HOLD_MS);
  }

  /** The held frames, no longer held. */
  private takeHeld(): string {
    const held = this.held;
    if (held === "") return held;
    this.dropHeld();
    return held;
  }

  private dropHeld(): void {
    this.held = "";
    if (this.holdTimer !== null) this.#clock.clearTimeout(this.holdTimer);
    this.holdTimer = null;
  }

  protected end(last?: string): void {
    const res = this.#res;
    if (this.ended || res === null) return;
    this.ended = true;
    this.wrote = true;
    this.closeFns = [];
    const rest = this.pending + this.takeHeld() + (last ?? "");
    this.pending = "";
    if (rest === "") res.end();
    else res.end(rest);
    // After the end the reader may still leave it unread: the socket holds it, and stays watched.
    if (rest.length >= LARGE_MESSAGE_CHARS) this.#budget?.wrote(this);
    // Let go of the response now, or once the tick's flush has uncorked it.
    if (!this.flushQueued) this.#res = null;
  }
}

/**
 * True when a status expected to be followed within {@link STATUS_HOLD_MS} (its ETA, ms) is worth
 * holding: one a person would see for longer, or whose ETA is not known yet, goes at once.
 */
function shortLived(etaMs: number | null): boolean {
  return etaMs !== null && etaMs < STATUS_HOLD_MS;
}

/** Frames every stream ends or idles with, built once. */
const CLOSE_STREAM_FRAME = sseData(CLOSE_STREAM);
const HEARTBEAT_FRAME = sseData(HEARTBEAT);

/** Gradio sse_v3 session stream (`GET /queue/data`): every event of the session, diffs for generators. */
export class SseV3Sink extends ResponseSink {
  private readonly differ = new StreamDiffer();

  write(event: EngineEvent): boolean {
    if (this.ended) return true;
    const text = `data: ${wireJson(event, this.differ)}\n\n`;
    if (event.type === "estimation") {
      this.waited = true;
      return shortLived(event.rankEtaMs) ? this.hold(text) : this.send(text);
    }
    if (event.type === "started") return shortLived(event.etaMs) ? this.hold(text) : this.send(text);
    if (!TERMINAL_TYPES.has(event.type)) return this.send(text);
    this.finalInFlight = event;
    this.finalInFlightChars = text.length;
    const ok = this.send(text);
    this.finalInFlight = null;
    this.wroteFinal(event, text.length);
    return ok;
  }

  finish(): void {
    this.end(CLOSE_STREAM_FRAME);
  }

  heartbeat(): void {
    if (!this.ended) this.send(HEARTBEAT_FRAME);
  }
}

/**
 * The simple API's per-event stream (`GET /call/{name}/{event_id}`): named events carrying the
 * output data only, full values (no diffs), and no queue status.
 */
export class CallSink extends ResponseSink {
  write(event: EngineEvent): boolean {
    if (this.ended) return true;
    switch (event.type) {
      case "generating":
        return this.send(sseEvent("generating", event.output));
      case "completed":
        return this.endWith(event, sseEvent("complete", event.output));
      case "failed":
        return this.endWith(event, sseEvent("error", event.error.message));
      case "cancelled":
        return this.endWith(event, sseEvent("error", "Cancelled."));
      default:
        return true;
    }
  }

  finish(): void {
    this.end();
  }

  private endWith(event: EngineEvent, text: string): boolean {
    this.finalInFlight = event;
    this.finalInFlightChars = text.length;
    this.end(text);
    this.finalInFlight = null;
    this.wroteFinal(event, text.length);
    return true;
  }

  heartbeat(): void {
    if (!this.ended) this.send(sseEvent("heartbeat", null));
  }
}
