/**
 * The session hub of a front process when the queue is shared (Redis): a user's join, stream and
 * cancel may each land on a different front (a plain, non-sticky load balancer), and a front may
 * die with streams open.
 *
 * What it adds to {@link SessionHub}:
 * - a session joined here and held by no other front is served in-process (the relay delivers
 *   its events' messages here without the store); once another front holds it too (the store says
 *   so, "shared"), or a stream opens here for a session this front does not know, the store's log
 *   is the truth: this front catches up with the log after the session's read cursor
 *   ({@link SessionRelay}), so its user gets what was published before, wherever those events were
 *   joined or run; from then on messages come here live;
 * - adoption: a stream (or a cancel) for a session this front does not know looks it up in the
 *   store first (a user joined through another front, or reconnecting after a front died);
 * - events of a read session joined through another front are expected on the fly;
 * - read cursors: each message written to a stream moves the session's cursor in the store (at
 *   once for results, else at most every 50 ms), so the next stream resumes after it;
 * - a front whose grace period ends while another live front holds the session (the user reads
 *   there) does not cancel the user's events;
 * - lost events: after the store came back empty, an event nothing wrote back (its worker died
 *   too) is failed with a clear message rather than awaited for ever.
 */
import { every, type Clock, type Repeating, type TimerHandle } from "../clock.ts";
import { TERMINAL_TYPES, type EngineEvent } from "../queue/index.ts";
import type { SessionBus } from "../store/index.ts";
import type { Sink } from "./Sink.ts";
import { SessionHub, type SessionHubOptions } from "./SessionHub.ts";
import type { SessionRelay } from "./SessionRelay.ts";
import { TrackedSink, type TrackHost } from "./TrackedSink.ts";

/** Options of {@link ClusterSessionHub}. */
export interface ClusterSessionHubOptions extends SessionHubOptions {
  readonly bus: SessionBus;
  readonly relay: SessionRelay;
}

/** How often sessions this front no longer holds are let go in the store, ms. */
const SWEEP_MS = 5000;
/** A stream of a session held with other fronts ends only after the store showed it idle twice this far apart, ms. */
const SHARED_IDLE_GRACE_MS = 25;
/** Read cursors are saved at most this often per session, ms (a reconnect may see a few messages twice). */
const CURSOR_SAVE_MS = 50;

/** See the file comment. */
export class ClusterSessionHub extends SessionHub {
  readonly #bus: SessionBus;
  readonly #relay: SessionRelay;
  /** Sessions this front holds (joined here, streamed here, or adopted). */
  readonly #held = new Set<string>();
  readonly #onSessionInUse: ((sessionHash: string) => void) | undefined;
  /** Sessions being adopted: the events their adoption expects must not start another catch-up. */
  readonly #adopting = new Set<string>();
  /** Events pending per held session, as the hub has them (its own set is private). */
  readonly #pending = new Map<string, Set<string>>();
  /** Sessions another front holds too, or that this one caught up with: the store decides when they end. */
  readonly #shared = new Set<string>();
  /** Cursors not saved yet: session → log id. */
  readonly #cursors = new Map<string, string>();
  readonly #clock: Clock;
  #cursorTimer: TimerHandle | null = null;
  readonly #sweeper: Repeating;
  readonly #unsubscribeReconnect: () => void;
  readonly #unsubscribeShared: () => void;
  #lostCheck: TimerHandle | null = null;

  constructor(options: ClusterSessionHubOptions) {
    const { bus, engine } = options;
    super({
      ...options,
      engine: {
        // The grace period ended without a stream here; the user may be reading on another front.
        async cancelSession(sessionHash, reason) {
          if (await bus.heldElsewhere(sessionHash).catch(() => false)) return 0;
          return engine.cancelSession(sessionHash, reason);
        },
      },
    });
    this.#bus = bus;
    this.#relay = options.relay;
    this.#onSessionInUse = options.onSessionInUse;
    this.#relay.setHost({
      accept: (sessionHash, eventId) => {
        if (!this.knows(sessionHash)) return false;
        if (!this.has(sessionHash, eventId)) this.expect(sessionHash, eventId);
        return true;
      },
      held: () => [...this.#held],
      reading: (sessionHash) => this.hasReader(sessionHash),
      // Else the hub went on taking the session for one held with the others, whose messages come
      // here: a stream here would wait for events it expects from the store's looks, for ever.
      left: (sessionHash) => this.#letGo(sessionHash),
    });
    this.#clock = options.clock;
    this.#sweeper = every(this.#clock, SWEEP_MS, () => this.#sweep());
    this.#unsubscribeReconnect = bus.onReconnect((lostData) => {
      if (lostData) this.#checkLostLater();
    });
    // Another front holds a session held here too: from now on its log is the truth here as well.
    this.#unsubscribeShared = bus.onShared((sessionHash) => {
      if (this.knows(sessionHash)) this.#catchUp(sessionHash, false);
    });
  }

  /**
   * A join here holds its session here from now on. No catch-up: the store tells, with the
   * admission, whether another front holds the session too ({@link SessionBus.onShared}).
   */
  override expect(sessionHash: string, eventId: string, graceMs?: number): void {
    super.expect(sessionHash, eventId, graceMs);
    this.#held.add(sessionHash);
    let pending = this.#pending.get(sessionHash);
    if (pending === undefined) this.#pending.set(sessionHash, (pending = new Set()));
    pending.add(eventId);
  }

  override attach(sessionHash: string, sink: Sink): boolean {
    const known = this.knows(sessionHash);
    // Asked before attaching: attaching writes what the hub kept, and may end events here.
    const lookElsewhere = !known || this.#pendingHere(sessionHash) === 0 || this.#onlyKept(sessionHash);
    // A socket opened here for a session with nothing pending here, or only finals kept for it:
    // its events may be elsewhere. The catch-up starts first, so that what the attach writes and
    // ends is judged against the store (the session is held with the others from now on).
    if (lookElsewhere && known) this.#catchUp(sessionHash, true);
    const tracked = new TrackedSink(sink, sessionHash, this.#host);
    if (!super.attach(sessionHash, tracked)) return false;
    this.#held.add(sessionHash);
    if (lookElsewhere && !known) this.#catchUp(sessionHash, true);
    // Attached to a session whose events all ended already (a reconnect): the protocol says close.
    this.#checkIdle(tracked);
    return true;
  }

  /**
   * True when every event of the session pending here has its final kept for a reader, and another
   * front may have had events of the session since, unheard here. Those finals are old news: their
   * releases' word on other events pending is as old as they are (the user may have joined through
   * another front since, and read these finals there), and a front that neither holds the session
   * solo nor with the others (in the store) is told nothing of later joins elsewhere.
   */
  #onlyKept(sessionHash: string): boolean {
    return !this.#shared.has(sessionHash) && !this.#bus.heldSolo(sessionHash) && this.awaited(sessionHash) === 0;
  }

  override forget(sessionHash: string, eventId: string): void {
    this.#unpend(sessionHash, eventId);
    super.forget(sessionHash, eventId);
  }

  /**
   * A session served here alone needs nothing let go in the store, so what this front kept of it
   * goes now rather than at the next sweep (a crowd of one-shot visitors: five seconds of them),
   * unless the relay must still recognize a final that may come back from the store's log; then
   * the sweep lets it go, as it does a shared session.
   */
  protected override ended(sessionHash: string): void {
    if (this.#shared.has(sessionHash) || !this.#relay.forgetEnded(sessionHash)) return;
    this.#held.delete(sessionHash);
    this.#pending.delete(sessionHash);
  }

  override async adopt(sessionHash: string): Promise<boolean> {
    this.#adopting.add(sessionHash);
    const wasShared = this.#shared.has(sessionHash);
    this.#shared.add(sessionHash);
    try {
      const prepare = (ids: ReadonlySet<string>, joined: boolean): boolean => {
        const known = this.#expectAll(sessionHash, ids);
        // Held with the others only if the store took this front among the session's holders
        // (it found something): else nothing of the session comes here through the store, and a
        // stream here would wait, on the store's looks, for events it never hears of. (Known all
        // the same: a join here meanwhile, held here alone.)
        if (!(known && joined) && !wasShared) this.#shared.delete(sessionHash);
        return known;
      };
      return await this.#relay.adopt(sessionHash, prepare, true);
    } finally {
      this.#adopting.delete(sessionHash);
    }
  }

  /** `fresh`: a new reader, that got nothing of the session yet. */
  #catchUp(sessionHash: string, fresh: boolean): void {
    this.#shared.add(sessionHash);
    void this.#relay.adopt(sessionHash, (ids) => this.#expectAll(sessionHash, ids), fresh, true).catch(() => undefined);
  }

  #expectAll(sessionHash: string, ids: ReadonlySet<string>): boolean {
    for (const id of ids) if (!this.has(sessionHash, id)) this.expect(sessionHash, id);
    return this.knows(sessionHash);
  }

  override async owns(sessionHash: string, eventId: string): Promise<boolean> {
    return this.has(sessionHash, eventId) || this.#bus.isPending(sessionHash, eventId);
  }

  override close(): void {
    this.#sweeper.stop();
    this.#unsubscribeReconnect();
    this.#unsubscribeShared();
    if (this.#lostCheck !== null) this.#clock.clearTimeout(this.#lostCheck);
    this.#saveCursors();
    super.close();
  }

  /** What each tracked stream asks of this hub ({@link TrackedSink}). */
  readonly #host: TrackHost = { wrote: (stream, event) => this.#wrote(stream, event) };

  #wrote(stream: TrackedSink, event: EngineEvent): void {
    const sessionHash = stream.sessionHash;
    const id = this.#relay.idOf(event);
    const terminal = TERMINAL_TYPES.has(event.type);
    // A cursor says "read up to here" for the whole log: only a front that sees the whole log
    // (it caught up with the session) may move it. A session served here alone read its own
    // logged final: it leaves the log (a later join must not take it for history).
    if (id !== undefined) {
      if (this.#shared.has(sessionHash)) this.#noteCursor(sessionHash, id, terminal);
      else if (terminal) this.#bus.forgetRead(sessionHash, id);
    } else if (terminal && !this.#shared.has(sessionHash)) this.#relay.noteRead(event);
    if (terminal) {
      this.#unpend(sessionHash, event.eventId);
      this.#checkIdle(stream);
    }
  }

  /** The event is no longer pending here; a session with none left keeps no empty set (it may stay held for its grace period). */
  #unpend(sessionHash: string, eventId: string): void {
    const pending = this.#pending.get(sessionHash);
    if (pending?.delete(eventId) === true && pending.size === 0) this.#pending.delete(sessionHash);
  }

  #pendingHere(sessionHash: string): number {
    return this.#pending.get(sessionHash)?.size ?? 0;
  }

  /**
   * Ends a stream whose session has nothing pending. A stream of a shared session ends only when
   * the store says so (see #idleInStore).
   */
  #checkIdle(stream: TrackedSink): void {
    const sessionHash = stream.sessionHash;
    if (!stream.endsWhenIdle || stream.ended || stream.checking || this.#pendingHere(sessionHash) > 0) return;
    stream.checking = true;
    // Served here alone: what is pending here is all there is, unless the store says that other
    // events of the session are pending (admitted through another front): then this front catches
    // up with the session (and holds it with the others). The release of the session's final here
    // says so; a final that came from another process does not, so the store is asked.
    if (!this.#shared.has(sessionHash)) {
      // The answer is a round trip away: a final whose event waited leaves with the stream's end.
      stream.holdForEnd();
      this.#bus.whenSettled(sessionHash, () => {
        const others = this.#bus.othersPending(sessionHash);
        if (others !== undefined) this.#checkedIdle(stream, others);
        else void this.#pendingElsewhere(sessionHash).then((o) => this.#checkedIdle(stream, o));
      });
      return;
    }
    void this.#idleInStore(sessionHash).then((idle) => {
      stream.checking = false;
      if (!stream.ended && idle && this.#pendingHere(sessionHash) === 0) stream.endIdle();
    });
  }

  /** The answer of {@link #checkIdle} for a session served here alone: `others` pending elsewhere or not. */
  #checkedIdle(stream: TrackedSink, others: boolean): void {
    const sessionHash = stream.sessionHash;
    stream.checking = false;
    if (!others && !stream.ended && this.#pendingHere(sessionHash) === 0) return stream.endIdle();
    stream.releaseHeld();
    if (stream.ended || this.#pendingHere(sessionHash) > 0) return;
    this.#catchUp(sessionHash, false);
    this.#checkIdle(stream);
  }

  /**
   * Whether a session held with other fronts is idle: nothing pending in the store, twice,
   * {@link SHARED_IDLE_GRACE_MS} apart (a join through another front may be admitted just after a
   * look, and its user's client, which saw its answer, would never reopen a stream closed then).
   * Pending events this front did not expect are expected on the way.
   */
  async #idleInStore(sessionHash: string): Promise<boolean> {
    // Finals delivered here leave the store's pending set with their release.
    await new Promise<void>((resolve) => this.#bus.whenSettled(sessionHash, resolve));
    for (let look = 0; ; look++) {
      const pending = await this.#pendingInStore(sessionHash);
      for (const id of pending) if (!this.has(sessionHash, id)) this.expect(sessionHash, id);
      if (pending.length > 0) return false;
      if (look === 1) return true;
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, SHARED_IDLE_GRACE_MS));
    }
  }

  /** True when the store has pending events of the session that this front does not expect. */
  async #pendingElsewhere(sessionHash: string): Promise<boolean> {
    const pending = await this.#pendingInStore(sessionHash);
    return pending.some((id) => !this.has(sessionHash, id));
  }

  /**
   * The session's events pending in the store, less those whose final was delivered here. The
   * answer comes on the store's command connection, the finals on its subscriber connection: a look
   * sent before a final's release may be answered after that final was written here. Such an event
   * ends in the store with its release; expected again, it would hold the stream open for ever.
   */
  async #pendingInStore(sessionHash: string): Promise<string[]> {
    const pending = await this.#bus.pendingEvents(sessionHash).catch(() => [] as string[]);
    return pending.filter((id) => !this.#relay.hasEnded(sessionHash, id));
  }

  #noteCursor(sessionHash: string, id: string, now: boolean): void {
    this.#cursors.set(sessionHash, id);
    // A result is saved at once: the user's next stream (maybe through another front) must not get it again.
    if (now) {
      this.#saveCursors();
      return;
    }
    if (this.#cursorTimer !== null) return;
    this.#cursorTimer = this.#clock.setTimeout(() => this.#saveCursors(), CURSOR_SAVE_MS);
  }

  #saveCursors(): void {
    if (this.#cursorTimer !== null) this.#clock.clearTimeout(this.#cursorTimer);
    this.#cursorTimer = null;
    for (const [sessionHash, id] of this.#cursors) this.#bus.saveCursor(sessionHash, id);
    this.#cursors.clear();
  }

  /**
   * The store came back empty. An event this front still waits for may have been running on a
   * process that died meanwhile, so that nothing knows it any more: once the live processes have
   * had time to write their running jobs back, each such event is failed with a clear message
   * (the store checks, atomically, that nothing ended it meanwhile).
   */
  #checkLostLater(): void {
    if (this.#lostCheck !== null) this.#clock.clearTimeout(this.#lostCheck);
    this.#lostCheck = this.#clock.setTimeout(() => {
      this.#lostCheck = null;
      for (const [sessionHash, ids] of this.#pending) {
        if (ids.size > 0) void this.#bus.failLost(sessionHash, [...ids]).catch(() => undefined);
      }
    }, this.#bus.restoreGraceMs);
  }

  /** Lets go, in the store too, of the sessions this hub has forgotten (ended, or streamed elsewhere). */
  #sweep(): void {
    for (const sessionHash of this.#held) {
      if (this.knows(sessionHash)) {
        this.#onSessionInUse?.(sessionHash);
        continue;
      }
      // Never shared: the store has nothing of this front to let go of.
      this.#relay.forget(sessionHash, this.#letGo(sessionHash));
    }
  }

  /** Forgets what this front kept of a session it no longer holds; returns whether it was shared. */
  #letGo(sessionHash: string): boolean {
    this.#held.delete(sessionHash);
    this.#pending.delete(sessionHash);
    return this.#shared.delete(sessionHash);
  }
}
