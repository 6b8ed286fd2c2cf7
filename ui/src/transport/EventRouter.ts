import type { WireEventMessage } from "../../../src/protocol/messages.ts";
import { isTerminal, type EventMessage } from "./Transport.ts";

type Listener = (message: EventMessage) => void;

/**
 * Routes messages of a shared connection to the listener of their event. Messages may arrive
 * before the listener is known (the server can start an event before the join answer reaches us),
 * so they wait here until {@link register}; Gradio's client does the same.
 */
export class EventRouter {
  readonly #listeners = new Map<string, Listener>();
  readonly #early = new Map<string, WireEventMessage[]>();

  /** Events with a listener that have not ended. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Binds an event id to its listener and replays what arrived before. */
  register(eventId: string, listener: Listener): void {
    const early = this.#early.get(eventId);
    this.#early.delete(eventId);
    this.#listeners.set(eventId, listener);
    for (const m of early ?? []) this.deliver(m);
  }

  /** Hands a message to its event's listener (or keeps it for later); forgets ended events. */
  deliver(message: WireEventMessage): void {
    const listener = this.#listeners.get(message.event_id);
    if (listener === undefined) {
      const list = this.#early.get(message.event_id) ?? [];
      list.push(message);
      this.#early.set(message.event_id, list);
      return;
    }
    if (isTerminal(message)) this.#listeners.delete(message.event_id);
    listener(message);
  }

  /** Ends every registered event with `connection_lost` (the shared connection broke). */
  failAll(message: string): void {
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    this.#early.clear();
    for (const l of listeners) l({ msg: "connection_lost", message });
  }
}
