import type { Duplex } from "node:stream";
import type { FastifyBaseLogger } from "fastify";
import type { RawData, WebSocket } from "ws";
import type { AppFunction } from "../../app/index.ts";
import type { TimerHandle } from "../../clock.ts";
import { isUsherError } from "../../errors.ts";
import {
  PROCESS_STARTS,
  QUEUE_FULL,
  SEND_DATA,
  SEND_HASH,
  legacyError,
  legacyEstimation,
  toLegacyMessage,
  type LegacyMessage,
} from "../../protocol/index.ts";
import { parseLegacyDataFrame, parseLegacyHashFrame } from "../../protocol/index.ts";
import { TERMINAL_TYPES, type EngineEvent } from "../../queue/index.ts";
import { Outbox } from "../Outbox.ts";
import { newEventId } from "../predictBody.ts";
import type { ServerContext } from "../ServerContext.ts";
import type { SessionClaim } from "../SessionOwners.ts";
import type { Sink } from "../Sink.ts";
import { legacyPlaceholder } from "./legacyInputs.ts";
import type { LegacyEventSocket, LegacyRouter } from "./LegacyRouter.ts";
import { WsChannel } from "./WsChannel.ts";
import type { WsPinger } from "./WsPinger.ts";
import { errorReply, readJsonFrame } from "./wsFrames.ts";

/**
 * Gradio 3.x's timeout for `{fn_index, session_hash}` after `send_hash`, ms (no slot is held
 * meanwhile). Mutable so that tests can shorten it. The inputs' timeout is an option:
 * {@link LegacyRouter.dataTimeoutMs}.
 */
export const legacyTimeouts = { hashMs: 5_000 };
/**
 * Longest wait for the inputs after `send_data`, however steadily they come, ms (Gradio 3.x's
 * own limit; a longer `legacyDataTimeoutMs` raises it).
 */
export const LEGACY_DATA_MAX_MS = 60_000;
/**
 * Least rate, bytes/s, at which inputs still arriving when a silence period ends must have come
 * during it to keep the turn: a slow uplink sending a large inline image passes, a client that
 * trickles bytes to hold its slot does not.
 */
export const LEGACY_DATA_MIN_BYTES_PER_S = 4096;

/** The message of a 3.x event that lost its turn because its inputs did not come in time. */
export function legacyDataTimeoutMessage(why: "silent" | "slow" | "max", ms: number): string {
  const s = `${Math.round(ms / 100) / 10} s`;
  const what =
    why === "silent"
      ? `Your inputs did not arrive within ${s} after your turn came`
      : why === "slow"
        ? `Your inputs arrived too slowly (under ${LEGACY_DATA_MIN_BYTES_PER_S / 1024} KiB/s)`
        : `Your inputs took more than ${s} to arrive`;
  return `${what}, so your place went to the next request. Please try again.`;
}

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
 * One Gradio 3.x queue socket at `/queue/join` (one event per socket, doc §10.3):
 * `send_hash` → `{fn_index, session_hash}` → `estimation`… → (its job starts) `send_data` →
 * `{data, event_data, fn_index, session_hash}` → `process_starts` → `progress`/`log`/
 * `process_generating` (full values) → `process_completed`, then a close with 1000. A full queue
 * is `queue_full` then close. The inputs come only when the job starts: see legacyInputs.ts; a
 * client that does not send them in time loses its turn (see `#awaitData`).
 *
 * With a queue shared by several processes ({@link LegacyRouter.eagerInputs}) the job may run
 * where this socket is not, so the inputs are asked for right after the hash instead, and the
 * event joins with them: `send_hash` → hash → `send_data` → data → `estimation`… →
 * `process_starts` → …; only the moment of `send_data` differs from 3.x.
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
  /** The raw connection under the socket: its bytes show inputs that are still arriving. */
  readonly #raw: Duplex | null;
  /** Bytes received in the current silence period after `send_data`. */
  #dataBytes = 0;
  /** When `send_data` went out (clock ms). */
  #dataSinceMs = 0;
  /** Whether the inputs' wait was extended past its first period (they were arriving). */
  #dataExtended = false;
  #outbox: Outbox | null = null;
  #inputs: Promise<unknown[] | null> | null = null;
  #resolveInputs: ((inputs: unknown[] | null) => void) | null = null;
  /** With eagerInputs: tells the hub this socket's sink went away. */
  #hubClosed: (() => void) | null = null;
  /** What the upgrade request presented: the session it names must be its sender's (see SessionOwners). */
  readonly #claim: SessionClaim | null;
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
  ) {
    this.#ctx = ctx;
    this.#raw = raw;
    this.#claim = claim;
    this.#router = router;
    this.#channel = new WsChannel(ws, ctx.budget ?? null);
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
    this.#channel.send(JSON.stringify(SEND_HASH));
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
    const frame = parseLegacyHashFrame(value);
    if ("problem" in frame) {
      this.#refuse(frame.problem);
      return;
    }
    const { session_hash: sessionHash, fn_index: fnIndex } = frame;
    const fn = Number.isSafeInteger(fnIndex) ? this.#ctx.app.functions[fnIndex as number] : undefined;
    if (fn === undefined) {
      this.#refuse(fnIndex === undefined ? "No function index provided." : `No function with fn_index ${String(fnIndex)}.`);
      return;
    }
    const owners = this.#ctx.owners;
    if (owners != null && this.#claim !== null) {
      // The hash names a session whose State the event will use: it must be this client's.
      this.#binding = true;
      try {
        await owners.bind(sessionHash, this.#claim, null);
      } catch (err) {
        const { detail } = errorReply(err, this.#log);
        this.#refuse(typeof detail === "string" ? detail : JSON.stringify(detail));
        return;
      } finally {
        this.#binding = false;
      }
      if (this.#phase !== "hash") return;
    }
    this.#fn = fn;
    if (this.#router.eagerInputs) {
      // Jobs may run in another process, which cannot ask this socket: the inputs come first.
      this.#sessionHash = sessionHash;
      this.#channel.send(JSON.stringify(SEND_DATA));
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
    // With inputs first (a shared queue) the job's messages come back through the hub, whose relay
    // delivers only sessions that have a reader here: this event gets a session of its own (one
    // socket per event), so State does not carry over between such calls.
    const hub = this.#ctx.hub;
    const session = data === null ? sessionHash : `legacy:${eventId}`;
    if (data === null) this.#router.register(eventId, this);
    else {
      hub.expect(session, eventId);
      hub.attach(session, this.#hubSink());
    }
    try {
      await this.#ctx.engine.join({
        fnId: fn.id,
        sessionHash: session,
        data: data ?? legacyPlaceholder(eventId),
        eventId,
        rootUrl: this.#rootUrl,
      });
    } catch (err) {
      this.#router.unregister(eventId);
      if (data !== null) hub.forget(session, eventId);
      if (isUsherError(err, "QUEUE_FULL")) {
        this.#phase = "done";
        this.#channel.send(JSON.stringify(QUEUE_FULL));
        this.#channel.close(1000, "");
      } else {
        const { detail } = errorReply(err, this.#log);
        this.#refuse(typeof detail === "string" ? detail : JSON.stringify(detail), 1000);
      }
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
      fn.validate(data);
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
    this.#channel.send(JSON.stringify(PROCESS_STARTS));
    this.#settleInputs(data);
  }

  /** Sends one engine event as its 3.x message; a congested socket queues the rest. */
  #send(event: EngineEvent): void {
    let message: LegacyMessage | null;
    if (event.type === "estimation") {
      message = legacyEstimation(event.rank, event.queueSize, event.rankEtaMs, this.#router.averages((this.#fn as AppFunction).id));
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
    const ok = this.#channel.send(JSON.stringify(message));
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

  /**
   * After `send_data`: the inputs must come before the client has been silent for the router's
   * `dataTimeoutMs`. Here the job already holds its slot (and, in a batch, its siblings wait), so a
   * client that never answers loses its turn at the end of the first period, instead of Gradio's
   * 60 s; one whose (large) answer is still arriving at a fair rate keeps it, up to
   * {@link LEGACY_DATA_MAX_MS}. `ws` hands over a frame only once it is complete, so progress is
   * read from the raw connection.
   */
  #awaitData(): void {
    this.#phase = "data";
    this.#dataBytes = 0;
    this.#dataExtended = false;
    this.#dataSinceMs = this.#router.clock.now();
    this.#raw?.on("data", this.#countBytes);
    this.#arm(this.#router.dataTimeoutMs, this.#onDataPeriodEnd);
  }

  readonly #countBytes = (chunk: Buffer): void => {
    this.#dataBytes += chunk.byteLength;
  };

  /** Stops the inputs' timer and byte count (any timer: only one runs at a time). */
  #endDataWait(): void {
    this.#clearTimer();
    this.#raw?.off("data", this.#countBytes);
  }

  readonly #onDataPeriodEnd = (): void => {
    this.#timer = null;
    if (this.#phase !== "data") return;
    const periodMs = this.#router.dataTimeoutMs;
    const elapsedMs = this.#router.clock.now() - this.#dataSinceMs;
    const maxMs = Math.max(LEGACY_DATA_MAX_MS, periodMs);
    const steady = this.#dataBytes >= (LEGACY_DATA_MIN_BYTES_PER_S * periodMs) / 1000;
    if (steady && elapsedMs < maxMs) {
      this.#dataBytes = 0;
      this.#dataExtended = true;
      this.#arm(Math.min(periodMs, maxMs - elapsedMs), this.#onDataPeriodEnd);
      return;
    }
    this.#endDataWait();
    const why = elapsedMs >= maxMs ? "max" : this.#dataExtended ? "slow" : "silent";
    // Debug only: a client can cause this at will, and refusals are not logged one by one.
    this.#log.debug({ eventId: this.#eventId, elapsedMs, why }, "a Gradio 3.x client lost its turn: its inputs did not come in time");
    this.#abandon(legacyDataTimeoutMessage(why, why === "max" ? maxMs : periodMs));
  };

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

  /** Refuses before (or at) admission: an error message, then a close. */
  #refuse(message: string, code = 1008): void {
    this.#phase = "done";
    this.#channel.send(JSON.stringify(legacyError(message)));
    this.#channel.close(code, code === 1000 ? "" : "Bad request.");
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

/** The text of a validation error for 3.x's `{ error: string }`. */
function validationMessage(err: unknown): string {
  if (!isUsherError(err)) return "Invalid inputs.";
  const detail = err.detail;
  if (Array.isArray(detail)) {
    const parts = detail.map((d) =>
      typeof d === "object" && d !== null && typeof (d as Record<string, unknown>)["message"] === "string"
        ? String((d as Record<string, unknown>)["message"])
        : String(d),
    );
    return parts.join(" ");
  }
  return typeof detail === "string" ? detail : err.message;
}

function ignoreError(): void {
  // `ws` reports protocol errors (bad frames, too large) here and then closes with the right code.
}
