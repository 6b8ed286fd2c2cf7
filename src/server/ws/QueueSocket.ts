import type { FastifyBaseLogger } from "fastify";
import type { RawData, WebSocket } from "ws";
import { newEventId } from "../predictBody.ts";
import { admit, enqueue } from "../admission.ts";
import type { ServerContext } from "../ServerContext.ts";
import { parseClientFrame, type JoinRef } from "./parseClientFrame.ts";
import { WsChannel } from "./WsChannel.ts";
import type { WsPinger } from "./WsPinger.ts";
import { WsSink } from "./WsSink.ts";
import { errorReply, readJsonFrame } from "./wsFrames.ts";

/** Detail of a cancel for an event this socket does not have. */
const UNKNOWN_EVENT_DETAIL = "No such event waiting or running in this session.";

/**
 * One tab's multiplexed queue socket (`/gradio_api/queue/ws?session_hash=…`): many events of one
 * session at once. The client joins (`{"type":"join","ref","fn_index","data"}`) and cancels
 * (`{"type":"cancel","event_id"}`); the server answers `joined` / `join_error` / `cancel_error`
 * and sends every sse_v3 message of the session's events through a {@link WsSink}. Joins go
 * through admission.ts like `POST /queue/join`: same admission, limits, validation and errors.
 *
 * Frames that cannot be read close the socket: binary 1003, not JSON 1007, too large 1009 (by
 * `ws`, from `maxPayload`). JSON of the wrong shape gets an `error` (or `join_error` 400) and the
 * socket stays open. A socket that closes starts the session's grace period in the hub: events
 * still waiting or running are cancelled unless a socket of the session comes back in time.
 */
export class QueueSocket {
  readonly #ctx: ServerContext;
  readonly #channel: WsChannel;
  readonly #sink: WsSink;
  readonly #sessionHash: string;
  readonly #rootUrl: string;
  readonly #log: FastifyBaseLogger;

  constructor(ctx: ServerContext, ws: WebSocket, sessionHash: string, rootUrl: string, pinger: WsPinger, log: FastifyBaseLogger) {
    this.#ctx = ctx;
    this.#log = log;
    this.#channel = new WsChannel(ws, ctx.budget ?? null);
    this.#sink = new WsSink(this.#channel);
    this.#sessionHash = sessionHash;
    this.#rootUrl = rootUrl;

    ws.on("message", (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on("error", ignoreError);
    ws.once("close", () => {
      pinger.remove(this.#channel);
      this.#sink.closed();
      ctx.heartbeatClosed(sessionHash);
    });
    pinger.add(this.#channel);
    ctx.sessionOpened?.(sessionHash);
    // The session hash first (the client may not have chosen it), then anything buffered for it.
    this.#sink.reply({ msg: "hello", session_hash: sessionHash });
    if (!ctx.hub.attach(sessionHash, this.#sink)) this.#channel.close(1001, "The server is shutting down.");
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    const json = readJsonFrame(this.#channel, data, isBinary);
    if (json === undefined) return;
    const value = json.value;
    const frame = parseClientFrame(value);
    if ("problem" in frame) {
      if (frame.joinRef !== undefined) this.#sink.reply({ msg: "join_error", ref: frame.joinRef, status: 400, detail: frame.problem });
      else this.#sink.reply({ msg: "error", detail: frame.problem });
      return;
    }
    switch (frame.type) {
      case "join":
        void this.#join(frame.ref, frame.fnIndex, frame.data);
        return;
      case "cancel":
        void this.#cancel(frame.eventId);
        return;
      case "ping":
        this.#sink.reply({ msg: "pong" });
        return;
    }
  }

  async #join(ref: JoinRef, fnIndex: number | undefined, data: unknown[]): Promise<void> {
    const ctx = this.#ctx;
    const session = this.#sessionHash;
    // The session was bound to its owner when the socket opened (see attachWebSockets).
    let fnId: number;
    try {
      fnId = admit(ctx, "ws", fnIndex, undefined, data, session, null, null).id;
    } catch (err) {
      this.#joinError(ref, err);
      return;
    }
    const eventId = newEventId();
    // Registered before the join so that no message of the event can be lost (see WsSink).
    this.#sink.hold(eventId);
    try {
      await enqueue(ctx, fnId, session, data, eventId, this.#rootUrl);
    } catch (err) {
      this.#sink.drop(eventId);
      this.#joinError(ref, err);
      return;
    }
    this.#sink.reply({ msg: "joined", ref, event_id: eventId });
    this.#sink.release(eventId);
  }

  async #cancel(eventId: string): Promise<void> {
    const ctx = this.#ctx;
    let ok = false;
    try {
      // Only the session that owns an event may cancel it (on a shared queue, joined through any front).
      ok = (await ctx.hub.owns(this.#sessionHash, eventId)) && (await ctx.engine.cancel(eventId, "user"));
    } catch (err) {
      const { status, detail } = errorReply(err, this.#log);
      this.#sink.reply({ msg: "cancel_error", event_id: eventId, status, detail });
      return;
    }
    if (!ok) this.#sink.reply({ msg: "cancel_error", event_id: eventId, status: 404, detail: UNKNOWN_EVENT_DETAIL });
  }

  #joinError(ref: JoinRef, err: unknown): void {
    const { status, detail, retryAfterS } = errorReply(err, this.#log);
    const frame: Record<string, unknown> = { msg: "join_error", ref, status, detail };
    if (retryAfterS !== undefined) frame["retry_after"] = retryAfterS;
    this.#sink.reply(frame);
  }
}

function ignoreError(): void {
  // `ws` reports protocol errors (bad frames, too large) here and then closes with the right code.
}
