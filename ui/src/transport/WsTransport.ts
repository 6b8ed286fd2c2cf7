import { parseServerFrame } from "../../../src/protocol/parseServerFrame.ts";
import type { WsClientFrame, WsServerFrame } from "../../../src/protocol/socketFrames.ts";
import { EventRouter } from "./EventRouter.ts";
import type { EventHandle, EventMessage, JoinRequest, Transport } from "./Transport.ts";

/** Waits before reconnecting after a lost socket; the server's default grace period is 5 s. */
const RECONNECT_DELAYS_MS = [100, 500, 1500];

interface PendingJoin {
  readonly request: JoinRequest;
  readonly onMessage: (message: EventMessage) => void;
  cancelled: boolean;
  eventId: string | null;
  /** Set when the join was handed to the fallback transport. */
  delegate: EventHandle | null;
}

/**
 * Usher's multiplexed WebSocket transport: one socket per tab at `/gradio_api/queue/ws`
 * (session hash in the query), carrying every event of the tab. A socket does not count against
 * the browser's ~6 HTTP/1.1 connections per origin, so many tabs of one app do not starve each
 * other as one SSE stream per tab would.
 *
 * Frames (src/protocol/socketFrames.ts): the page sends {@link WsClientFrame}s; the server answers
 * a join with `joined` or `join_error` and then sends the same sse_v3 message objects as
 * `/queue/data`. The socket opens on the first join and stays
 * open; when it drops with events in flight, the page reconnects with the same session hash.
 */
export class WsTransport implements Transport {
  readonly #url: string;
  readonly #router = new EventRouter();
  /** Joins sent and not answered yet, by client ref. */
  readonly #joining = new Map<string, PendingJoin>();
  /** Frames waiting for the socket to open. */
  #outbox: WsClientFrame[] = [];
  #socket: WebSocket | null = null;
  #nextRef = 1;
  /** Reconnection attempts since the socket was last open. */
  #retries = 0;

  /** Where events go if no socket ever opens (a proxy that refuses WebSocket upgrades). */
  readonly #fallback: (() => Transport) | null;
  #fellBack: Transport | null = null;
  #everOpened = false;

  /**
   * `url`: the full ws:// or wss:// URL, session hash included. `fallback`: a transport to use
   * from then on when the very first socket cannot open (its joins were never sent, so they are
   * handed over as they are).
   */
  constructor(url: string, fallback: (() => Transport) | null = null) {
    this.#url = url;
    this.#fallback = fallback;
  }

  join(request: JoinRequest, onMessage: (message: EventMessage) => void): EventHandle {
    if (this.#fellBack !== null) return this.#fellBack.join(request, onMessage);
    const ref = String(this.#nextRef++);
    const pending: PendingJoin = { request, onMessage, cancelled: false, eventId: null, delegate: null };
    this.#joining.set(ref, pending);
    this.#send({ type: "join", ref, fn_index: request.fnIndex, data: request.data });
    return {
      cancel: () => {
        // Before "joined" there is no event id yet: remember the wish and send it on "joined".
        if (pending.delegate !== null) pending.delegate.cancel();
        else if (pending.eventId !== null) this.#send({ type: "cancel", event_id: pending.eventId });
        else pending.cancelled = true;
      },
    };
  }

  /** "websocket", or the fallback's kind once the page fell back to it. */
  get kind(): string {
    return this.#fellBack?.kind ?? "websocket";
  }

  close(): void {
    this.#fellBack?.close();
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000);
    this.#failAll("The page closed its connection.");
  }

  #send(frame: WsClientFrame): void {
    const socket = this.#ensureSocket();
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
    else this.#outbox.push(frame);
  }

  #ensureSocket(): WebSocket {
    if (this.#socket !== null) return this.#socket;
    const socket = new WebSocket(this.#url);
    this.#socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.#everOpened = true;
      this.#retries = 0;
      const frames = this.#outbox;
      this.#outbox = [];
      for (const f of frames) socket.send(JSON.stringify(f));
    };
    socket.onmessage = (e: MessageEvent) => {
      if (typeof e.data !== "string") return;
      const frame = parseServerFrame(e.data);
      if (frame !== null) this.#onFrame(frame);
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#outbox = [];
      this.#onLost(opened);
    };
    return socket;
  }

  /**
   * The socket closed without the page asking. Joins in flight have an unknown fate: they end
   * with `connection_lost`. Events already joined may still be alive: the server keeps a session's
   * events and their messages for a grace period, so the page reconnects with the same session
   * hash (a few times, quickly) and the server replays what was missed.
   */
  #onLost(opened: boolean): void {
    const joining = [...this.#joining.values()];
    this.#joining.clear();
    if (!this.#everOpened && this.#fallback !== null) {
      // No socket ever opened: nothing was sent. Hand the joins to the fallback, for good.
      const fallback = (this.#fellBack = this.#fallback());
      for (const p of joining) {
        p.delegate = fallback.join(p.request, p.onMessage);
        if (p.cancelled) p.delegate.cancel();
      }
      return;
    }
    for (const p of joining) p.onMessage({ msg: "connection_lost", message: "Connection errored out." });
    if (this.#router.size === 0) return;
    if (!opened) this.#retries++;
    const delay = RECONNECT_DELAYS_MS[this.#retries];
    if (delay === undefined) {
      this.#retries = 0;
      this.#router.failAll("Connection errored out.");
      return;
    }
    setTimeout(() => {
      if (this.#socket === null && this.#router.size > 0) this.#ensureSocket();
    }, delay);
  }

  #onFrame(frame: WsServerFrame): void {
    switch (frame.msg) {
      case "joined":
      case "join_error": {
        const ref = String(frame.ref);
        const pending = this.#joining.get(ref);
        this.#joining.delete(ref);
        if (pending === undefined) return;
        if (frame.msg === "join_error") {
          const { msg, status, detail, retry_after } = frame;
          pending.onMessage(retry_after === undefined ? { msg, status, detail } : { msg, status, detail, retry_after });
          return;
        }
        pending.eventId = frame.event_id;
        this.#router.register(frame.event_id, pending.onMessage);
        if (pending.cancelled) this.#send({ type: "cancel", event_id: frame.event_id });
        return;
      }
      case "unexpected_error":
        this.#failAll(frame.message);
        return;
      case "estimation":
      case "process_starts":
      case "progress":
      case "log":
      case "process_generating":
      case "process_completed":
        this.#router.deliver(frame);
        return;
      default:
        // hello (the session hash), heartbeat, close_stream, cancel_error, error, pong: nothing to route.
        return;
    }
  }

  #failAll(reason: string): void {
    const joining = [...this.#joining.values()];
    this.#joining.clear();
    for (const p of joining) p.onMessage({ msg: "connection_lost", message: reason });
    this.#router.failAll(reason);
  }
}
