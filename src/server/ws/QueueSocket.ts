import type { IncomingHttpHeaders } from "node:http";
import type { FastifyBaseLogger } from "fastify";
import type { RawData, WebSocket } from "ws";
import { parseClientFrame } from "../../protocol/index.ts";
import {
  cancelErrorFrame,
  errorFrame,
  helloFrame,
  joinedFrame,
  joinErrorFrame,
  PONG,
  type JoinRef,
} from "../../protocol/index.ts";
import { admit, enqueue } from "../admission.ts";
import { newEventId } from "../predictBody.ts";
import type { ServerContext } from "../ServerContext.ts";
import type { SessionClaim } from "../SessionOwners.ts";
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
  /** What the upgrade presented (user, address): each join's default client key. */
  readonly #claim: SessionClaim;
  /** The upgrade's headers, kept only for the app's queue callbacks (see engineJoin); else null. */
  readonly #headers: IncomingHttpHeaders | null;

  constructor(
    ctx: ServerContext,
    ws: WebSocket,
    sessionHash: string,
    rootUrl: string,
    pinger: WsPinger,
    log: FastifyBaseLogger,
    claim: SessionClaim,
    headers: IncomingHttpHeaders,
  ) {
    this.#ctx = ctx;
    this.#claim = claim;
    // An idle socket holds no headers it will not need (10 000 idle tabs).
    this.#headers = ctx.policy == null ? null : headers;
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
    this.#sink.reply(helloFrame(sessionHash));
    if (!ctx.hub.attach(sessionHash, this.#sink)) this.#channel.close(1001, "The server is shutting down.");
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    const json = readJsonFrame(this.#channel, data, isBinary);
    if (json === undefined) return;
    const value = json.value;
    const frame = parseClientFrame(value);
    if ("problem" in frame) {
      const { problem, joinRef } = frame;
      this.#sink.reply(joinRef === undefined ? errorFrame(problem) : joinErrorFrame(joinRef, 400, problem));
      return;
    }
    switch (frame.type) {
      case "join":
        void this.#join(frame.ref, frame.fn_index, frame.data);
        return;
      case "cancel":
        void this.#cancel(frame.event_id);
        return;
      case "ping":
        this.#sink.reply(PONG);
        return;
    }
  }

  async #join(ref: JoinRef, fnIndex: number | undefined, data: readonly unknown[]): Promise<void> {
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
      await enqueue(ctx, "ws", this.#claim, this.#headers, fnId, session, data, eventId, this.#rootUrl);
    } catch (err) {
      this.#sink.drop(eventId);
      this.#joinError(ref, err);
      return;
    }
    this.#sink.reply(joinedFrame(ref, eventId));
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
      this.#sink.reply(cancelErrorFrame(eventId, status, detail));
      return;
    }
    if (!ok) this.#sink.reply(cancelErrorFrame(eventId, 404, UNKNOWN_EVENT_DETAIL));
  }

  #joinError(ref: JoinRef, err: unknown): void {
    const { status, detail, retryAfterS } = errorReply(err, this.#log);
    this.#sink.reply(joinErrorFrame(ref, status, detail, retryAfterS));
  }
}

function ignoreError(): void {
  // `ws` reports protocol errors (bad frames, too large) here and then closes with the right code.
}
