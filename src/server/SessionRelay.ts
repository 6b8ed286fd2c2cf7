/**
 * The engine's {@link EventBus} when the queue is shared through a store ({@link SessionBus}):
 * the engine's events are published to their session, whichever process emitted them, and the
 * messages of the sessions this process holds come back from the store to the engine's listeners
 * (the session hub...), in log order, each once.
 *
 * A process starts holding a session with a catch-up: it joins the session's nodes (from then on
 * every new message comes to it live) and reads the log after the session's read cursor (what was
 * published before, e.g. by events joined through another front). Per session the relay remembers
 * the last log id delivered: a message at or before it is a duplicate (a live copy of something a
 * catch-up already read) and is dropped. While a catch-up reads the log, live messages of that
 * session are held back and delivered after the backlog. After a lost connection every held
 * session catches up again.
 */
import type { EventBus } from "../queue/index.ts";
import type { EngineEvent } from "../queue/index.ts";
import type { SessionBus, SessionMessage } from "../store/index.ts";

/** What the relay asks of the process's session hub. */
export interface RelayHost {
  /**
   * Whether a message of `eventId` in session `sessionHash` should be delivered here (the hub
   * makes room for an event it has not seen yet); false when the session is no longer held here.
   */
  accept(sessionHash: string, eventId: string): boolean;
  /** The sessions held here (caught up after a lost connection). */
  held(): Iterable<string>;
}

interface Relayed {
  /** Log id of the last message delivered ("0-0": none). */
  lastId: string;
  /** Live messages held back while a catch-up reads the log, or null. */
  held: SessionMessage[] | null;
}

/** See the file comment. */
export class SessionRelay implements EventBus {
  readonly #bus: SessionBus;
  #deliver: ((event: EngineEvent) => void) | null = null;
  #host: RelayHost | null = null;
  readonly #sessions = new Map<string, Relayed>();
  /** The log id of each delivered event object (the hub's sinks save read cursors with it). */
  readonly #ids = new WeakMap<EngineEvent, string>();

  constructor(bus: SessionBus) {
    this.#bus = bus;
    bus.onMessage((sessionHash, message) => this.#onMessage(sessionHash, message));
    bus.onReconnect(() => this.#catchUpAll());
  }

  publish(event: EngineEvent, force = false): void {
    if (force) this.#bus.publishForced(event);
    else this.#bus.publish(event);
  }

  connect(deliver: (event: EngineEvent) => void): void {
    this.#deliver = deliver;
  }

  /** The hub of this process (a worker has none: it only publishes). */
  setHost(host: RelayHost): void {
    this.#host = host;
  }

  /** The log id an event was delivered with, if it came through this relay. */
  idOf(event: EngineEvent): string | undefined {
    return this.#ids.get(event);
  }

  /**
   * Reads a session's unread messages from the store and delivers them, with the live ones that
   * arrive meanwhile, in order. `prepare` gets the ids of the events to expect (pending or in the
   * backlog) before anything is delivered, and answers whether the session is held here now.
   * `fresh`: a new reader, so nothing of the session counts as delivered. `hold`: this process
   * holds the session from now on even if it has nothing to read yet.
   */
  async adopt(
    sessionHash: string,
    prepare: (eventIds: ReadonlySet<string>) => boolean,
    fresh: boolean,
    hold = false,
  ): Promise<boolean> {
    let s = this.#sessions.get(sessionHash);
    if (s === undefined) {
      s = { lastId: "0-0", held: [] };
      this.#sessions.set(sessionHash, s);
    } else {
      if (fresh) s.lastId = "0-0";
      s.held ??= [];
    }
    let found: { pending: string[]; backlog: SessionMessage[] };
    try {
      // Live messages are held from now; the read goes out after what the caller sends in this
      // same tick (a join's admission must not wait behind it).
      await null;
      found = await this.#bus.adopt(sessionHash, hold);
    } catch (err) {
      this.#flushHeld(sessionHash, s);
      throw err;
    }
    const ids = new Set(found.pending);
    for (const m of found.backlog) ids.add(m.event.eventId);
    if (!prepare(ids)) {
      if (this.#sessions.get(sessionHash) === s) this.#sessions.delete(sessionHash);
      return false;
    }
    for (const m of found.backlog) this.#give(sessionHash, s, m);
    this.#flushHeld(sessionHash, s);
    return true;
  }

  /** This process no longer holds the session. */
  forget(sessionHash: string): void {
    this.#sessions.delete(sessionHash);
    this.#bus.leave(sessionHash);
  }

  #onMessage(sessionHash: string, message: SessionMessage): void {
    let s = this.#sessions.get(sessionHash);
    if (s === undefined) {
      s = { lastId: "0-0", held: null };
      this.#sessions.set(sessionHash, s);
    }
    if (s.held !== null) s.held.push(message);
    else this.#give(sessionHash, s, message);
  }

  #flushHeld(sessionHash: string, s: Relayed): void {
    const held = s.held ?? [];
    s.held = null;
    for (const m of held) this.#give(sessionHash, s, m);
  }

  #give(sessionHash: string, s: Relayed, m: SessionMessage): void {
    if (compareIds(m.id, s.lastId) <= 0) return;
    if (this.#host !== null && !this.#host.accept(sessionHash, m.event.eventId)) {
      // Not held here any more (its stream ended, or is on another front): stop receiving it.
      this.forget(sessionHash);
      return;
    }
    s.lastId = m.id;
    this.#ids.set(m.event, m.id);
    this.#deliver?.(m.event);
  }

  /** After a lost connection: live messages may have been missed, so read every held session's log again. */
  #catchUpAll(): void {
    const host = this.#host;
    if (host === null) return;
    for (const sessionHash of host.held()) {
      const prepare = (ids: ReadonlySet<string>): boolean => [...ids].every((id) => host.accept(sessionHash, id));
      void this.adopt(sessionHash, prepare, false, true).catch(() => undefined);
    }
  }
}

/** Orders two stream ids ("<ms>-<seq>"). */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am !== bm ? am - bm : as - bs;
}
