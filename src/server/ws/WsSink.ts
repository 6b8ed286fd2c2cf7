import { StreamDiffer, wireJson } from "../../protocol/index.ts";
import type { WsControlFrame } from "../../protocol/index.ts";
import { TERMINAL_TYPES, type EngineEvent } from "../../queue/index.ts";
import { Outbox } from "../Outbox.ts";
import type { CutHandler, FinishReason, Sink, UnreadFinal } from "../Sink.ts";
import type { WsChannel } from "./WsChannel.ts";

/** Close code when a newer socket of the same session takes over (application range 4000–4999). */
export const WS_REPLACED = 4000;

/**
 * The multiplexed queue socket as a {@link SessionHub} sink: every event of the session goes out
 * as the same sse_v3 message object as on `/queue/data` (generator chunks as diffs after the
 * first), tagged by `event_id`. It is persistent: it stays open when the session has nothing
 * pending, waiting for the tab's next join.
 *
 * While a join is in flight its event is "held": the engine already emits the first estimation
 * (and may even start and finish a fast event) before `engine.join` returns, but the client can
 * only route messages of an `event_id` it got from `joined`. Held messages wait in a small
 * coalescing {@link Outbox} and go out right after `joined`.
 */
export class WsSink implements Sink {
  readonly persistent = true;
  readonly #channel: WsChannel;
  readonly #differ = new StreamDiffer();
  #held: Map<string, Outbox> | null = null;
  #closeFns: (() => void)[] = [];
  #ended = false;
  #cutHandler: CutHandler | null = null;
  #cutSession = "";
  /** Final messages sent while the channel is watched by the budget (null: none). */
  #unreadFinals: UnreadFinal[] | null = null;
  #finalInFlight: EngineEvent | null = null;
  #finalInFlightChars = 0;

  constructor(channel: WsChannel) {
    this.#channel = channel;
    channel.onSettled(() => {
      this.#unreadFinals = null;
    });
    channel.onCut(() => {
      // Cut off for not reading: hand back what may be unread; the socket's close does not count as a drop.
      this.#ended = true;
      this.#closeFns = [];
      const finals = this.#unreadFinals ?? [];
      if (this.#finalInFlight !== null) finals.push({ event: this.#finalInFlight, bytes: this.#finalInFlightChars });
      this.#unreadFinals = null;
      const handler = this.#cutHandler;
      this.#cutHandler = null;
      handler?.(this.#cutSession, this, finals);
    });
  }

  write(event: EngineEvent): boolean {
    const held = this.#held?.get(event.eventId);
    if (held !== undefined) {
      held.push(event);
      return true;
    }
    if (this.#ended) return true;
    const text = wireJson(event, this.#differ);
    if (!TERMINAL_TYPES.has(event.type)) return this.#channel.send(text);
    // The budget may cut the socket off in this very send: the final is handed back with the rest.
    this.#finalInFlight = event;
    this.#finalInFlightChars = text.length;
    const ok = this.#channel.send(text);
    this.#finalInFlight = null;
    if (this.#channel.watching) {
      (this.#unreadFinals ??= []).push({ event, bytes: text.length });
      this.#channel.retain(text.length);
    }
    return ok;
  }

  onCut(handler: CutHandler, sessionHash: string): void {
    this.#cutHandler = handler;
    this.#cutSession = sessionHash;
  }

  /** Sends a frame that is not an engine event (hello, joined, errors). */
  reply(frame: WsControlFrame): void {
    if (!this.#ended) this.#channel.send(JSON.stringify(frame));
  }

  /** Holds messages of `eventId` until {@link release} or {@link drop}. */
  hold(eventId: string): void {
    (this.#held ??= new Map()).set(eventId, new Outbox());
  }

  /** Sends what was held for `eventId` (call right after its `joined`). */
  release(eventId: string): void {
    const held = this.#unhold(eventId);
    if (held !== undefined) for (const e of held.drain()) this.write(e);
  }

  /** Forgets what was held for `eventId` (its join was refused). */
  drop(eventId: string): void {
    this.#unhold(eventId);
  }

  finish(reason: FinishReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closeFns = [];
    // "idle" never comes for a persistent sink.
    if (reason === "replaced") this.#channel.close(WS_REPLACED, "Another connection took over this session.");
    else this.#channel.close(1001, "The server is shutting down.");
  }

  heartbeat(): void {
    // WsPinger pings every socket, congested or not; nothing to add here.
  }

  onDrain(fn: () => void): void {
    this.#channel.onDrain(fn);
  }

  onClose(fn: () => void): void {
    this.#closeFns.push(fn);
  }

  /** The socket closed (called by its owner). */
  closed(): void {
    if (this.#ended) return;
    this.#ended = true;
    const fns = this.#closeFns;
    this.#closeFns = [];
    for (const fn of fns) fn();
  }

  #unhold(eventId: string): Outbox | undefined {
    const held = this.#held?.get(eventId);
    if (held === undefined) return undefined;
    this.#held?.delete(eventId);
    if (this.#held?.size === 0) this.#held = null;
    return held;
  }
}
