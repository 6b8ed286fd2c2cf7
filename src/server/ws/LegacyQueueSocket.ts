import type { IncomingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyBaseLogger } from "fastify";
import type { RawData, WebSocket } from "ws";
import type { AppFunction } from "../../app/index.ts";
import type { TimerHandle } from "../../clock.ts";
import { UsherError, type ErrorAnswer } from "../../errors.ts";
import {
  PROCESS_STARTS,
  SEND_DATA,
  SEND_HASH,
  legacyError,
  legacyEstimation,
  parseLegacyDataFrame,
  toLegacyMessage,
  type LegacyMessage,
} from "../../protocol/index.ts";
import { TERMINAL_TYPES, type EngineEvent } from "../../queue/index.ts";
import { Outbox } from "../Outbox.ts";
import { admit, checkInputs, engineJoin, joinRefused } from "../admission.ts";
import { fnIndexOf, newEventId, sessionHashOf } from "../predictBody.ts";
import type { ServerContext } from "../ServerContext.ts";
import type { SessionClaim } from "../SessionOwners.ts";
import type { Sink } from "../Sink.ts";
import { legacyPlaceholder, validationMessage } from "./legacyInputs.ts";
import { LegacyDataWait, legacyDataTimeoutMessage, type LegacyDataLoss } from "./LegacyDataWait.ts";
import type { LegacyEventSocket, LegacyRouter } from "./LegacyRouter.ts";
import { WsChannel } from "./WsChannel.ts";
import type { WsPinger } from "./WsPinger.ts";
import { errorReply, legacyRefusalText, legacyText, readJsonFrame } from "./wsFrames.ts";

/**
 * Gradio 3.x's timeout for `{fn_index, session_hash}` after `send_hash`, ms (no slot is held
 * meanwhile). Mutable so that tests can shorten it. The inputs' timeout is an option:
 * {@link LegacyRouter.dataTimeoutMs}.
 */
export const legacyTimeouts = { hashMs: 5_000 };

type Phase =
  /** Waiting for `{fn_index, session_hash}`. */
  | "hash"
  /** In the queue (or joining it). */
  | "queued"
  /** Its job started and `send_data` went out: waiting for the inputs. */
  | "data"
  /** Inputs handed to the function. */
  | "running"
  /** Its last message was sent (or it was refused); nothing more goes out. */
  | "done";

/**
 * One Gradio 3.x queue socket at `/queue/join` (one event per socket, doc §10.3). By default
 * ({@link LegacyRouter.eagerInputs}) the inputs are asked for right after the hash, and the event
 * joins the queue with them: `send_hash` → `{fn_index, session_hash}` → `send_data` →
 * `{data, event_data, fn_index, session_hash}` → `estimation`… → `process_starts` →
 * `progress`/`log`/`process_generating` (full values) → `process_completed`, then a close with
 * 1000; a full queue is `queue_full` then close. Its messages come through the router, as the
 * event's session is the client's (State carries over); with a queue shared by several processes
 * the job may run where this socket is not, so they come through the session hub instead, each
 * event in a session of its own. With `launch({ legacyInputsAt: "start" })`, 3.x's own timing: the
 * event joins with a placeholder and `send_data` goes when its job starts (`estimation`… →
 * `send_data` → … → `process_starts`), see legacyInputs.ts. Either way a client that does not
 * send its inputs in time loses its turn (see `#awaitData`).
 *
 * A socket that closes early cancels its event at once (a per-event socket cannot come back).
 * While the socket is congested, its messages wait in a coalescing {@link Outbox}.
 */
export class LegacyQueueSocket implements LegacyEventSocket {
  readonly #ctx: ServerContext;
  readonly #router: LegacyRouter;
  readonly #channel: WsChannel;
  readonly #rootUrl: string;
  readonly #log: FastifyBaseLogger;
  #phase: Phase = "hash";
  #fn: AppFunction | null = null;
  #sessionHash = "";
  #eventId: string | null = null;
  #timer: TimerHandle | null = null;
  /** The wait for the inputs after `send_data` (see {@link LegacyDataWait}). */
  readonly #dataWait: LegacyDataWait;
  #outbox: Outbox | null = null;
  #inputs: Promise<unknown[] | null> | null = null;
  #resolveInputs: ((inputs: unknown[] | null) => void) | null = null;
  /** With eagerInputs: tells the hub this socket's sink went away. */
  #hubClosed: (() => void) | null = null;
  /** What the upgrade request presented: the session it names must be its sender's (see SessionOwners). */
  readonly #claim: SessionClaim | null;
  /** The upgrade's headers, kept only for the app's queue callbacks (see engineJoin); else null. */
  readonly #headers: IncomingHttpHeaders | null;
  /** The session's owner is being looked up: a second hash frame meanwhile is ignored. */
  #binding = false;

  constructor(
    ctx: ServerContext,
    router: LegacyRouter,
    ws: WebSocket,
    rootUrl: string,
    pinger: WsPinger,
    log: FastifyBaseLogger,
    raw: Duplex | null = null,
    claim: SessionClaim | null = null,
    headers: IncomingHttpHeaders | null = null,
  ) {
    this.#ctx = ctx;
    this.#headers = ctx.policy == null ? null : headers;
    this.#dataWait = new LegacyDataWait(router, raw, (why, limitMs, elapsedMs) =>
      this.#onDataLost(why, limitMs, elapsedMs),
    );
    this.#claim = claim;
    this.#router = router;
    this.#channel = new WsChannel(ws, ctx.budget ?? null, raw);
    this.#rootUrl = rootUrl;
    this.#log = log;
    ws.on("message", (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on("error", ignoreError);
    ws.once("close", () => {
      pinger.remove(this.#channel);
      this.#onClose();
      this.#hubClosed?.();
    });
    pinger.add(this.#channel);
    this.#channel.send(legacyText(SEND_HASH));
    this.#arm(legacyTimeouts.hashMs, () => {
      this.#timer = null;
      this.#channel.close(1008, "No {fn_index, session_hash} received in time.");
    });
  }

  deliver(event: EngineEvent): void {
    if (TERMINAL_TYPES.has(event.type)) {
      // The engine is done with the event: stop routing, and free a job waiting for inputs.
      this.#router.unregister(event.eventId);
      this.#endDataWait();
      this.#settleInputs(null);
    }
    if (this.#phase === "done") return;
    if (this.#outbox !== null) this.#outbox.push(event);
    else this.#send(event);
  }

  inputs(): Promise<unknown[] | null> {
    this.#inputs ??= new Promise((resolve) => {
      this.#resolveInputs = resolve;
    });
    return this.#inputs;
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    const json = readJsonFrame(this.#channel, data, isBinary);
    if (json === undefined) return;
    const value = json.value;
    if (this.#phase === "hash") {
      if (!this.#binding) void this.#onHash(value);
    } else if (this.#phase === "data") this.#onData(value);
    // Gradio 3.x reads the socket only when it expects something; anything else is ignored.
  }

  async #onHash(value: unknown): Promise<void> {
    this.#clearTimer();
    const f =
      typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    // The inputs come later (see #onData); the hash names a session whose State the event will use,
    // so it must be this client's (admit binds it).
    let sessionHash: string;
    let fn: AppFunction;
    this.#binding = true;
    try {
      // Read in the order of POST /queue/join's body (see parsePredictBody, joinQueue).
      const fnIndex = fnIndexOf(f["fn_index"]);
      // Clients older than Gradio 3.6 sent {hash} on open.
      const hash = sessionHashOf(f["session_hash"] ?? f["hash"]);
      if (hash === undefined) throw new UsherError("SESSION_MISSING");
      sessionHash = hash;
      fn = await admit(this.#ctx, "legacy", fnIndex, undefined, null, sessionHash, this.#claim, null);
    } catch (err) {
      this.#refuse(errorReply(err, this.#log));
      return;
    } finally {
      this.#binding = false;
    }
    if (this.#phase !== "hash") return;
    this.#fn = fn;
    if (this.#router.eagerInputs) {
      // Jobs may run in another process, which cannot ask this socket: the inputs come first.
      this.#sessionHash = sessionHash;
      this.#channel.send(legacyText(SEND_DATA));
      this.#awaitData();
      return;
    }
    await this.#join(sessionHash, null);
  }

  /** Joins the queue with `data`, or with a placeholder when null (the inputs come at start). */
  async #join(sessionHash: string, data: unknown[] | null): Promise<void> {
    const fn = this.#fn as AppFunction;
    const eventId = newEventId();
    this.#eventId = eventId;
    this.#phase = data === null ? "queued" : "running";
    // With a shared queue the job's messages come back through the hub, whose relay delivers only
    // sessions that have a reader here: this event gets a session of its own (one socket per
    // event), so State does not carry over between such calls. Alone, the router delivers them.
    const ctx = this.#ctx;
    const hub = ctx.hub;
    const viaHub = data !== null && this.#router.shared;
    const session = viaHub ? `legacy:${eventId}` : sessionHash;
    if (!viaHub) this.#router.register(eventId, this);
    else {
      hub.expect(session, eventId);
      hub.attach(session, this.#hubSink());
    }
    const inputs = data ?? legacyPlaceholder(eventId);
    try {
      await engineJoin(ctx, "legacy", this.#claim, this.#headers, fn.id, session, inputs, eventId, this.#rootUrl);
    } catch (err) {
      joinRefused(ctx, eventId, err);
      this.#router.unregister(eventId);
      if (viaHub) hub.forget(session, eventId);
      // 3.x closes normally once its client has the message (see legacyRefusalText).
      this.#phase = "done";
      this.#channel.send(legacyRefusalText(err, this.#log));
      this.#channel.close(1000, "");
    }
  }

  #onData(value: unknown): void {
    this.#endDataWait();
    const fn = this.#fn as AppFunction;
    const frame = parseLegacyDataFrame(value);
    if ("problem" in frame) {
      this.#abandon(frame.problem);
      return;
    }
    const data = frame.data;
    try {
      checkInputs(fn, data);
    } catch (err) {
      this.#abandon(validationMessage(err));
      return;
    }
    if (this.#eventId === null) {
      // Inputs first (eagerInputs): now the event joins the queue with them.
      void this.#join(this.#sessionHash, data);
      return;
    }
    this.#phase = "running";
    this.#channel.send(legacyText(PROCESS_STARTS));
    this.#settleInputs(data);
  }

  /** Sends one engine event as its 3.x message; a congested socket queues the rest. */
  #send(event: EngineEvent): void {
    let message: LegacyMessage | null;
    if (event.type === "estimation") {
      message = legacyEstimation(
        event.rank,
        event.queueSize,
        event.rankEtaMs,
        this.#router.averages((this.#fn as AppFunction).id),
      );
    } else if (event.type === "started" && this.#phase === "running") {
      // The inputs came with the join (eagerInputs).
      message = PROCESS_STARTS;
    } else if (event.type === "started") {
      message = SEND_DATA;
      this.#awaitData();
    } else {
      message = toLegacyMessage(event);
    }
    if (message === null) return;
    const ok = this.#channel.send(legacyText(message));
    if (TERMINAL_TYPES.has(event.type)) {
      this.#phase = "done";
      this.#channel.close(1000, "");
      return;
    }
    if (!ok && this.#outbox === null) {
      this.#outbox = new Outbox();
      this.#channel.onDrain(() => this.#flush());
    }
  }

  #flush(): void {
    const outbox = this.#outbox;
    this.#outbox = null;
    if (outbox === null) return;
    const items = outbox.drain();
    for (let i = 0; i < items.length; i++) {
      if (this.#phase === "done") return;
      if (this.#outbox !== null) {
        // Congested again: keep the rest for the next drain.
        const rest = this.#outbox as Outbox;
        for (let j = i; j < items.length; j++) rest.push(items[j] as EngineEvent);
        return;
      }
      this.#send(items[i] as EngineEvent);
    }
  }

  /** After `send_data`: the inputs must come in time (see {@link LegacyDataWait}). */
  #awaitData(): void {
    this.#phase = "data";
    this.#dataWait.start();
  }

  /** Stops the inputs' wait, and any other timer of the socket. */
  #endDataWait(): void {
    this.#clearTimer();
    this.#dataWait.stop();
  }

  /** The inputs did not come in time: the event loses its turn. */
  #onDataLost(why: LegacyDataLoss, limitMs: number, elapsedMs: number): void {
    if (this.#phase !== "data") return;
    this.#endDataWait();
    // Debug only: a client can cause this at will, and refusals are not logged one by one.
    this.#log.debug(
      { eventId: this.#eventId, elapsedMs, why },
      "a Gradio 3.x client lost its turn: its inputs did not come in time",
    );
    this.#abandon(legacyDataTimeoutMessage(why, limitMs));
  }

  /** Ends the event with an error of our own (bad or missing inputs): tell the client, then cancel. */
  #abandon(message: string): void {
    if (this.#phase === "done") return;
    this.#phase = "done";
    this.#endDataWait();
    this.#channel.send(JSON.stringify(legacyError(message)));
    this.#channel.close(1000, "");
    const eventId = this.#eventId;
    if (eventId !== null) {
      // A running event ends inside cancel() before it returns, so the job never gets the null below
      // for an event that is still alive.
      void this.#ctx.engine.cancel(eventId, "user").catch(() => undefined);
    }
    this.#settleInputs(null);
  }

  /**
   * Refuses before admission (closing as {@link errorAnswer} says) or at it (`closeCode` 1000:
   * 3.x closes normally once the client has its error message).
   */
  #refuse(answer: ErrorAnswer, closeCode = answer.closeCode): void {
    this.#phase = "done";
    this.#channel.send(JSON.stringify(legacyError(answer.text)));
    this.#channel.close(closeCode, closeCode === 1000 ? "" : answer.closeReason);
  }

  #onClose(): void {
    this.#endDataWait();
    const eventId = this.#eventId;
    const active = this.#phase === "queued" || this.#phase === "data" || this.#phase === "running";
    this.#phase = "done";
    // A per-event socket cannot come back: its event leaves the queue (or stops running) now.
    if (active && eventId !== null) void this.#ctx.engine.cancel(eventId, "disconnect").catch(() => undefined);
    this.#settleInputs(null);
  }

  /** This socket as a hub sink (eagerInputs); it coalesces on its own, so it never reports congestion. */
  #hubSink(): Sink {
    return {
      write: (event) => {
        this.deliver(event);
        return true;
      },
      finish: (reason) => {
        // "idle" comes after the result, which already closed the socket.
        if (reason !== "idle") this.#channel.close(1001, "The server is shutting down.");
      },
      heartbeat: () => undefined,
      onDrain: () => undefined,
      onClose: (fn) => {
        this.#hubClosed = fn;
      },
    };
  }

  #settleInputs(inputs: unknown[] | null): void {
    if (this.#resolveInputs !== null) {
      this.#resolveInputs(inputs);
      this.#resolveInputs = null;
    } else if (this.#inputs === null) {
      this.#inputs = Promise.resolve(inputs);
    }
  }

  #arm(ms: number, fn: () => void): void {
    this.#clearTimer();
    this.#timer = this.#router.clock.setTimeout(fn, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#router.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}

function ignoreError(): void {
  // `ws` reports protocol errors (bad frames, too large) here and then closes with the right code.
}
