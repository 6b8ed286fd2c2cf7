/**
 * The session hub of a front process when the queue is shared (Redis): a user's join, stream and
 * cancel may each land on a different front (a plain, non-sticky load balancer), and a front may
 * die with streams open.
 *
 * What it adds to {@link SessionHub}:
 * - the store's log of a session is the truth: when this front starts holding a session (its first
 *   join here, or a stream of a session it did not know) it catches up with the log after the
 *   session's read cursor ({@link SessionRelay}), so its user gets what was published before,
 *   wherever those events were joined or run; from then on messages come here live;
 * - adoption: a stream (or a cancel) for a session this front does not know looks it up in the
 *   store first (a user joined through another front, or reconnecting after a front died);
 * - events of a read session joined through another front are expected on the fly;
 * - read cursors: each message written to a stream moves the session's cursor in the store (at
 *   once for results, else at most every 50 ms), so the next stream resumes after it;
 * - readers: the store knows which fronts have a stream of a session, so a front whose grace
 *   period ends while the user reads on another front does not cancel the user's events;
 * - lost events: after the store came back empty, an event nothing wrote back (its worker died
 *   too) is failed with a clear message rather than awaited for ever.
 */
import { every, type Clock, type Repeating, type TimerHandle } from "../clock.ts";
import { TERMINAL_TYPES } from "../queue/index.ts";
import type { SessionBus } from "../store/index.ts";
import type { FinishReason, Sink } from "./Sink.ts";
import { SessionHub, type SessionHubOptions } from "./SessionHub.ts";
import type { SessionRelay } from "./SessionRelay.ts";

/** Options of {@link ClusterSessionHub}. */
export interface ClusterSessionHubOptions extends SessionHubOptions {
  readonly bus: SessionBus;
  readonly relay: SessionRelay;
}

/** How often sessions this front no longer holds are let go in the store, ms. */
const SWEEP_MS = 5000;
/** Read cursors are saved at most this often per session, ms (a reconnect may see a few messages twice). */
const CURSOR_SAVE_MS = 50;

/** See the file comment. */
export class ClusterSessionHub extends SessionHub {
  readonly #bus: SessionBus;
  readonly #relay: SessionRelay;
  /** Sessions this front holds (joined here, streamed here, or adopted). */
  readonly #held = new Set<string>();
  /** Sessions being adopted: the events their adoption expects must not start another catch-up. */
  readonly #adopting = new Set<string>();
  /** Events pending per held session, as the hub has them (its own set is private). */
  readonly #pending = new Map<string, Set<string>>();
  /** The idle check of each wrapped sink. */
  readonly #idleChecks = new WeakMap<Sink, () => void>();
  /** Open streams per session on this front. */
  readonly #readers = new Map<string, number>();
  /** Cursors not saved yet: session → log id. */
  readonly #cursors = new Map<string, string>();
  readonly #clock: Clock;
  #cursorTimer: TimerHandle | null = null;
  readonly #sweeper: Repeating;
  readonly #unsubscribeReconnect: () => void;
  #lostCheck: TimerHandle | null = null;

  constructor(options: ClusterSessionHubOptions) {
    const { bus, engine } = options;
    super({
      ...options,
      engine: {
        // The grace period ended without a stream here; the user may be reading on another front.
        async cancelSession(sessionHash, reason) {
          if (await bus.readerElsewhere(sessionHash).catch(() => false)) return 0;
          return engine.cancelSession(sessionHash, reason);
        },
      },
    });
    this.#bus = bus;
    this.#relay = options.relay;
    this.#relay.setHost({
      accept: (sessionHash, eventId) => {
        if (!this.knows(sessionHash)) return false;
        if (!this.has(sessionHash, eventId)) this.expect(sessionHash, eventId);
        return true;
      },
      held: () => [...this.#held],
    });
    this.#clock = options.clock;
    this.#sweeper = every(this.#clock, SWEEP_MS, () => this.#sweep());
    this.#unsubscribeReconnect = bus.onReconnect((lostData) => {
      if (lostData) this.#checkLostLater();
    });
  }

  override expect(sessionHash: string, eventId: string, graceMs?: number): void {
    const fresh = !this.knows(sessionHash);
    super.expect(sessionHash, eventId, graceMs);
    this.#held.add(sessionHash);
    let pending = this.#pending.get(sessionHash);
    if (pending === undefined) this.#pending.set(sessionHash, (pending = new Set()));
    pending.add(eventId);
    // Held here from now on: catch up with what the session's log already has (before the join
    // is even admitted, so that nothing published from then on can be missed).
    if (fresh && !this.#adopting.has(sessionHash)) this.#catchUp(sessionHash, true);
  }

  override attach(sessionHash: string, sink: Sink): boolean {
    const fresh = !this.knows(sessionHash);
    const { tracked, release } = this.#track(sessionHash, sink);
    if (!super.attach(sessionHash, tracked)) {
      release();
      return false;
    }
    this.#held.add(sessionHash);
    // A socket opened here for a session this front did not know: its events may be elsewhere.
    if (fresh) this.#catchUp(sessionHash, true);
    // Attached to a session whose events all ended already (a reconnect): the protocol says close.
    this.#idleChecks.get(tracked)?.();
    return true;
  }

  override forget(sessionHash: string, eventId: string): void {
    this.#pending.get(sessionHash)?.delete(eventId);
    super.forget(sessionHash, eventId);
  }

  override async adopt(sessionHash: string): Promise<boolean> {
    this.#adopting.add(sessionHash);
    try {
      return await this.#relay.adopt(sessionHash, (ids) => this.#expectAll(sessionHash, ids), true);
    } finally {
      this.#adopting.delete(sessionHash);
    }
  }

  #catchUp(sessionHash: string, hold: boolean): void {
    void this.#relay.adopt(sessionHash, (ids) => this.#expectAll(sessionHash, ids), true, hold).catch(() => undefined);
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
    if (this.#lostCheck !== null) this.#clock.clearTimeout(this.#lostCheck);
    this.#saveCursors();
    super.close();
  }

  /**
   * Wraps a sink so that what it writes moves the session's cursor and its life marks a reader,
   * and so that a stream ends ("idle") only when the store says the session has nothing pending:
   * an event joined through another front may not have sent its first message here yet, and
   * ending the stream then would leave its user waiting. The hub sees every wrapped sink as
   * persistent (it never ends one on its own for being idle); the wrapper decides.
   */
  #track(sessionHash: string, sink: Sink): { tracked: Sink; release: () => void } {
    const count = (this.#readers.get(sessionHash) ?? 0) + 1;
    this.#readers.set(sessionHash, count);
    if (count === 1) this.#bus.setReader(sessionHash, true);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      const left = (this.#readers.get(sessionHash) ?? 1) - 1;
      if (left > 0) this.#readers.set(sessionHash, left);
      else {
        this.#readers.delete(sessionHash);
        this.#bus.setReader(sessionHash, false);
      }
    };
    sink.onClose(release);
    const endsWhenIdle = sink.persistent !== true;
    let ended = false;
    let hubOnClose: (() => void) | null = null;
    let checking = false;
    /** Ends the stream for being idle, and tells the hub it is gone (as a closed connection would). */
    const endIdle = (): void => {
      if (ended) return;
      ended = true;
      release();
      sink.finish("idle");
      hubOnClose?.();
    };
    const checkIdle = (): void => {
      if (!endsWhenIdle || ended || checking || (this.#pending.get(sessionHash)?.size ?? 0) > 0) return;
      checking = true;
      void this.#bus
        .pendingEvents(sessionHash)
        .catch(() => [] as string[])
        .then((pending) => {
          checking = false;
          if (ended) return;
          const unknown = pending.filter((id) => !this.has(sessionHash, id));
          if (pending.length === 0) endIdle();
          else for (const id of unknown) this.expect(sessionHash, id);
        });
    };
    // A proxy, not a copy: sinks may grow members, and every one must still reach the real sink.
    const tracked = new Proxy(sink, {
      get: (target, prop) => {
        if (prop === "persistent") return true;
        if (prop === "write") {
          return (event: Parameters<Sink["write"]>[0]): boolean => {
            const ok = target.write(event);
            const id = this.#relay.idOf(event);
            const terminal = TERMINAL_TYPES.has(event.type);
            if (id !== undefined) this.#noteCursor(sessionHash, id, terminal);
            if (terminal) {
              this.#pending.get(sessionHash)?.delete(event.eventId);
              checkIdle();
            }
            return ok;
          };
        }
        if (prop === "finish") {
          return (reason: FinishReason): void => {
            ended = true;
            release();
            target.finish(reason);
          };
        }
        if (prop === "onClose") {
          return (fn: () => void): void => {
            hubOnClose = fn;
            target.onClose(fn);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    this.#idleChecks.set(tracked, checkIdle);
    return { tracked, release };
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
      if (this.knows(sessionHash)) continue;
      this.#held.delete(sessionHash);
      this.#pending.delete(sessionHash);
      this.#relay.forget(sessionHash);
    }
  }
}
