/**
 * The engine's {@link EventBus} when the queue is shared through a store ({@link SessionBus}):
 * the engine's events are published to their session, whichever process emitted them, and the
 * messages of the sessions this process holds come back from the store to the engine's listeners
 * (the session hub...), in log order, each once.
 *
 * A process starts holding a session with a catch-up: it joins the session's nodes (from then on
 * every new message comes to it live) and reads the log after the session's read cursor (what was
 * published before, e.g. by events joined through another front). Per session the relay remembers
 * the log ids it delivered and the events that ended: a message it delivered already (a live copy
 * of something a catch-up read, or the reverse) or of an event that ended is dropped. (Not the
 * log's order: a process receives live only the messages of the events routed to it, so an older
 * message of another event may still come in a later catch-up.) While a catch-up reads the log, live messages of that
 * session are held back and delivered after the backlog. After a lost connection every held
 * session catches up again.
 *
 * An event the store lets this process deliver itself (admitted here, its session held nowhere
 * else: {@link SessionBus.deliversHere}) goes straight to the listeners, with no log id, and its
 * final is reported back to the store with whether a reader here got it.
 */
import type { EventBus } from "../queue/index.ts";
import { TERMINAL_TYPES, type EngineEvent } from "../queue/index.ts";
import type { Adopted, SessionBus, SessionMessage } from "../store/index.ts";

/** What the relay asks of the process's session hub. */
export interface RelayHost {
  /**
   * Whether a message of `eventId` in session `sessionHash` should be delivered here (the hub
   * makes room for an event it has not seen yet); false when the session is no longer held here.
   */
  accept(sessionHash: string, eventId: string): boolean;
  /** The sessions held here (caught up after a lost connection). */
  held(): Iterable<string>;
  /** True when a stream of the session is attached here. */
  reading(sessionHash: string): boolean;
  /**
   * The relay let go of a session the hub no longer holds (a message came for it), in the store
   * too: what the hub kept of it until its sweep goes now. A later stream or join here starts anew.
   */
  left(sessionHash: string): void;
}

/**
 * What the relay remembers of a session. The sets other than `ended` are made on first use (null
 * until then): a one-shot visitor's session, served here alone, only ever needs `ended`, and the
 * record lives through the session's grace period, so its empty tables would outlive the young
 * generation for nothing.
 */
interface Relayed {
  /** Log ids delivered. */
  seen: Set<string> | null;
  /** Events whose final was delivered. */
  ended: Set<string>;
  /** The event of each final in `seen` that came live, or was logged here (log id → event id): see forgetEntry. */
  finals: Map<string, string> | null;
  /** Log entries that left the log during a catch-up: forgotten once its backlog is delivered. */
  gone: string[];
  /** Events told started through this relay, made up or real, until their final (see #inOrder). */
  started: Set<string> | null;
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
  /** Finals delivered here and read by a reader here before the store gave them a log id. */
  readonly #readHere = new WeakSet<EngineEvent>();

  constructor(bus: SessionBus) {
    this.#bus = bus;
    bus.onMessage((sessionHash, message) => this.#onMessage(sessionHash, message));
    bus.onReconnect(() => this.#catchUpAll());
    bus.onLogged((event, id) => {
      this.#ids.set(event, id);
      const s = this.#sessions.get(event.sessionHash);
      if (s !== undefined) {
        (s.seen ??= new Set()).add(id);
        (s.finals ??= new Map()).set(id, event.eventId);
      }
      // Read here before its release logged it: it leaves the log now (see noteRead).
      if (this.#readHere.has(event)) bus.forgetRead(event.sessionHash, id);
    });
    // Kept per session while it is held: without this, a session used for hours (a tab, an API
    // client reusing its session hash) kept the id of every event it ever ran here.
    bus.onUnlogged((event) => this.#sessions.get(event.sessionHash)?.ended.delete(event.eventId));
    // A final's entry that left the log cannot come back through a catch-up that starts later;
    // one in flight may have read it before: it is forgotten after that catch-up's backlog.
    bus.onForgotten((sessionHash, id) => {
      const s = this.#sessions.get(sessionHash);
      if (s === undefined) return;
      if (s.held !== null) s.gone.push(id);
      else forgetEntry(s, id);
    });
  }

  /** Sessions whose deliveries this relay remembers (tests: what a front keeps per session). */
  get size(): number {
    return this.#sessions.size;
  }

  publish(event: EngineEvent, force = false): void {
    if (force) this.#bus.publishForced(event);
    else if (this.#bus.deliversHere(event)) this.#deliverHere(event);
    else this.#bus.publish(event);
  }

  connect(deliver: (event: EngineEvent) => void): void {
    this.#deliver = deliver;
  }

  /** The hub of this process (a worker has none: it only publishes). */
  setHost(host: RelayHost): void {
    this.#host = host;
  }

  /**
   * A reader here read a final of a session no other process holds, before it had a log id: if
   * its release logs it (no reader had it then), it leaves the log at once.
   */
  noteRead(event: EngineEvent): void {
    this.#readHere.add(event);
  }

  /** True when the final of `eventId` was delivered here (and may still be recognized as a copy). */
  hasEnded(sessionHash: string, eventId: string): boolean {
    return this.#sessions.get(sessionHash)?.ended.has(eventId) === true;
  }

  /** The log id an event was delivered with, if it came through this relay. */
  idOf(event: EngineEvent): string | undefined {
    return this.#ids.get(event);
  }

  /**
   * Reads a session's unread messages from the store and delivers them, with the live ones that
   * arrive meanwhile, in order. `prepare` gets the ids of the events to expect (pending or in the
   * backlog) before anything is delivered, and whether the store took this process among the
   * session's holders (it does when it found something, or with `hold`: then the session's
   * messages come here), and answers whether the session is held here now.
   * `fresh`: a new reader, so nothing of the session counts as delivered. `hold`: this process
   * holds the session from now on even if it has nothing to read yet.
   */
  async adopt(
    sessionHash: string,
    prepare: (eventIds: ReadonlySet<string>, joined: boolean) => boolean,
    fresh: boolean,
    hold = false,
  ): Promise<boolean> {
    let s = this.#sessions.get(sessionHash);
    if (s === undefined) {
      s = { seen: null, ended: new Set(), finals: null, gone: [], started: null, held: [] };
      this.#sessions.set(sessionHash, s);
    } else {
      // Events that ended here stay ended: the hub keeps their finals for a returning reader.
      if (fresh) s.seen?.clear();
      s.held ??= [];
    }
    let found: Adopted;
    try {
      // Live messages are held from now; the read goes out after what the caller sends in this
      // same tick (a join's admission must not wait behind it).
      await null;
      found = await this.#bus.adopt(sessionHash, hold);
    } catch (err) {
      this.#flushHeld(sessionHash, s);
      throw err;
    }
    // An event that ended here already is not expected again (its messages in the backlog are
    // dropped; it may still be pending in the store, its final's release on the way).
    const ids = new Set(found.pending.filter((id) => !s.ended.has(id)));
    for (const m of found.backlog) if (!s.ended.has(m.event.eventId)) ids.add(m.event.eventId);
    if (!prepare(ids, hold || found.pending.length > 0 || found.backlog.length > 0)) {
      if (this.#sessions.get(sessionHash) === s) this.#sessions.delete(sessionHash);
      return false;
    }
    this.#startRunning(sessionHash, s, found);
    for (const m of found.backlog) this.#give(sessionHash, s, m, false);
    this.#flushHeld(sessionHash, s);
    return true;
  }

  /**
   * The start of an event that runs, or ran (its result is in the backlog), may have gone to its
   * origin alone, unlogged (the session was held nowhere else then): a new reader here would see
   * it waiting until its result, or get a result that never started. Unless the backlog has it,
   * its start is told now, before the backlog (with no ETA: the run's own estimate stayed with
   * the origin); a real one that arrives later is dropped.
   */
  #startRunning(sessionHash: string, s: Relayed, found: Adopted): void {
    const ran = found.backlog.filter((m) => m.event.type === "completed").map((m) => m.event.eventId);
    if (found.running.length === 0 && ran.length === 0) return;
    const told = new Set(found.backlog.filter((m) => m.event.type === "started").map((m) => m.event.eventId));
    for (const eventId of [...found.running, ...ran]) {
      if (told.has(eventId) || s.ended.has(eventId) || s.started?.has(eventId) === true) continue;
      (s.started ??= new Set()).add(eventId);
      if (this.#host === null || this.#host.accept(sessionHash, eventId)) {
        this.#deliver?.({ type: "started", eventId, sessionHash, etaMs: null });
      }
    }
  }

  /**
   * Forgets a session that ended here and that no other process holds, unless something of it
   * could still come back through a catch-up: a final whose copy may still be in the store's log
   * (its event stays in `ended` until the log entry is gone, or the release said it was never
   * logged), or a catch-up under way. Returns whether it forgot.
   */
  forgetEnded(sessionHash: string): boolean {
    const s = this.#sessions.get(sessionHash);
    if (s !== undefined && (s.ended.size > 0 || s.held !== null)) return false;
    this.#sessions.delete(sessionHash);
    return true;
  }

  /** This process no longer holds the session; `leaveStore`: it had joined the session's nodes in the store. */
  forget(sessionHash: string, leaveStore = true): void {
    this.#sessions.delete(sessionHash);
    if (leaveStore) this.#bus.leave(sessionHash);
  }

  /** An event this process delivers itself (see the file comment). */
  #deliverHere(event: EngineEvent): void {
    const h = event.sessionHash;
    // Asked before: a final written to the stream may end it at once.
    const read = this.#host?.reading(h) ?? false;
    if (TERMINAL_TYPES.has(event.type)) {
      // Its copy in the log (see SessionBus.endedHere) must not come back through a catch-up; and
      // it is pending in the store until its release, which a stream's end waits for.
      this.#relayed(h).ended.add(event.eventId);
      this.#bus.endedHere(event, read);
    }
    // The start of an event run elsewhere is remembered: its outputs come from its runner (#inOrder).
    const s = event.type === "started" && !this.#bus.runsHere(event.eventId) ? this.#relayed(h) : this.#sessions.get(h);
    if (s?.held != null) s.held.push({ id: LOCAL_ID, event });
    else if (s !== undefined && !this.#inOrder(h, s, event, false)) return;
    else if (this.#host === null || this.#host.accept(h, event.eventId)) this.#deliver?.(event);
  }

  #relayed(sessionHash: string): Relayed {
    let s = this.#sessions.get(sessionHash);
    if (s === undefined) {
      s = { seen: null, ended: new Set(), finals: null, gone: [], started: null, held: null };
      this.#sessions.set(sessionHash, s);
    }
    return s;
  }

  #onMessage(sessionHash: string, message: SessionMessage): void {
    const s = this.#relayed(sessionHash);
    if (s.held !== null) s.held.push(message);
    else this.#give(sessionHash, s, message);
  }

  #flushHeld(sessionHash: string, s: Relayed): void {
    const held = s.held ?? [];
    s.held = null;
    for (const m of held) this.#give(sessionHash, s, m);
    const gone = s.gone;
    s.gone = [];
    for (const id of gone) forgetEntry(s, id);
  }

  /** `live`: `m` came through the node's channel, not from a catch-up's backlog. */
  #give(sessionHash: string, s: Relayed, m: SessionMessage, live = true): void {
    if (m.id === LOCAL_ID) {
      if (!this.#inOrder(sessionHash, s, m.event, false)) return;
      if (this.#host === null || this.#host.accept(sessionHash, m.event.eventId)) this.#deliver?.(m.event);
      return;
    }
    if (s.seen?.has(m.id) === true || s.ended.has(m.event.eventId)) return;
    if (this.#host !== null && !this.#host.accept(sessionHash, m.event.eventId)) {
      // Not held here any more (its stream ended, or is on another front): stop receiving it.
      this.forget(sessionHash);
      this.#host.left(sessionHash);
      return;
    }
    (s.seen ??= new Set()).add(m.id);
    if (!this.#inOrder(sessionHash, s, m.event, true)) return;
    if (TERMINAL_TYPES.has(m.event.type)) {
      s.ended.add(m.event.eventId);
      if (live) (s.finals ??= new Map()).set(m.id, m.event.eventId);
    }
    this.#ids.set(m.event, m.id);
    this.#deliver?.(m.event);
  }

  /**
   * Keeps each event's start first, and once. In a session held by several processes the start
   * comes from the event's origin and its outputs from its runner, both through the store, each
   * on its own way: an output may come first. Then the start is told here before it (with no ETA),
   * and the real one is dropped when it comes, as is any estimation after a start (logged before
   * the claim, or on its way from the origin, it would put the event back in the queue).
   * `logged`: the message came through the session's log; else it came in-process (a job run here
   * tells its own start first) or from a runner to its origin alone (which tells the start first,
   * RedisSessionBus.onRanElsewhere, unless it still takes the session for one held with others and
   * sends it through the store). Returns false when the message is dropped.
   */
  #inOrder(sessionHash: string, s: Relayed, event: EngineEvent, logged: boolean): boolean {
    const { type, eventId } = event;
    // Nothing follows a final (a cancelled event's runner may still send what it had on the way).
    if (s.ended.has(eventId) && !TERMINAL_TYPES.has(type)) return false;
    if (type === "started" || type === "estimation") {
      if (s.started?.has(eventId) === true) return false;
      if (type === "started") (s.started ??= new Set()).add(eventId);
    } else if (TERMINAL_TYPES.has(type)) s.started?.delete(eventId);
    else if ((logged || !this.#bus.runsHere(eventId)) && s.started?.has(eventId) !== true) {
      (s.started ??= new Set()).add(eventId);
      if (this.#host === null || this.#host.accept(sessionHash, eventId)) {
        this.#deliver?.({ type: "started", eventId, sessionHash, etaMs: null });
      }
    }
    return true;
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

/** The id of a message delivered here without the store's log (held back like the others during a catch-up). */
const LOCAL_ID = "";

/**
 * Log entry `id` left the store's log. A final that came live (or was logged by this process's own
 * release) has no other copy on its way: nothing needs recognizing it, or its event, any more. (One
 * read from a backlog may still have its live copy on the way: it stays remembered.)
 */
function forgetEntry(s: Relayed, id: string): void {
  const eventId = s.finals?.get(id);
  if (eventId === undefined) return;
  s.finals?.delete(id);
  s.seen?.delete(id);
  s.ended.delete(eventId);
}
