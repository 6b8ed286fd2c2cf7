import type { Clock, TimerHandle } from "../clock.ts";
import { TERMINAL_TYPES, type CancelReason, type EngineEvent } from "../queue/index.ts";
import { LARGE_MESSAGE_CHARS, roughSize, type ReaderBudget } from "./ReaderBudget.ts";
import { Session, resultDropped } from "./Session.ts";
import { SessionGrace } from "./SessionGrace.ts";
import type { CutHandler, Sink, UnreadFinal } from "./Sink.ts";

/** What the hub needs from the queue engine. */
export interface SessionCanceller {
  cancelSession(sessionHash: string, reason?: CancelReason): Promise<number>;
}

/** Options of {@link SessionHub}. */
export interface SessionHubOptions {
  readonly clock: Clock;
  readonly engine: SessionCanceller;
  /** How long events may wait for a reader before they are dropped, ms. */
  readonly sessionGraceMs: number;
  /** Interval of heartbeats on open streams, ms. */
  readonly heartbeatMs: number;
  /** Called when a session is forgotten (its State may go). */
  readonly onSessionGone?: (sessionHash: string) => void;
  /**
   * Counts large results buffered for sessions without a reading stream, and cuts off readers
   * that leave too much unread (their final messages come back here to be kept). Absent: no caps.
   */
  readonly budget?: ReaderBudget | null;
  /** How long the final messages of a reader that was cut off are kept for its return, ms. */
  readonly keptResultTtlMs?: number;
  /**
   * Called now and then (the cluster hub's sweep) for each session still held here: one in use
   * without requests (a stream waiting for a queued event) keeps its shared owner record alive.
   */
  readonly onSessionInUse?: (sessionHash: string) => void;
}

/**
 * Routes engine events to sessions. A session's messages are written to its attached stream, or
 * kept (bounded, see {@link Outbox}) until one attaches. When a session with pending events has no
 * stream for `sessionGraceMs` (it never opened one, or it dropped and did not come back), its
 * events are cancelled: waiting ones leave the queue, running ones are aborted.
 *
 * An SSE stream ends once its session has nothing pending (sse_v3's close_stream); a persistent
 * sink (the multiplexed WebSocket, {@link Sink.persistent}) stays attached for the tab's next
 * events, and its session lives as long as it does.
 */
export class SessionHub {
  private readonly sessions = new Map<string, Session>();
  private readonly options: SessionHubOptions;
  private heartbeatTimer: TimerHandle | null = null;
  private closed = false;
  /** The sessions' grace periods (see {@link SessionGrace}). */
  private readonly grace: SessionGrace;

  constructor(options: SessionHubOptions) {
    this.options = options;
    this.grace = new SessionGrace(options.clock, options.sessionGraceMs, options.keptResultTtlMs ?? 0, (s) =>
      this.graceEnded(s),
    );
  }

  /** Number of sessions known (for metrics and tests). */
  get size(): number {
    return this.sessions.size;
  }

  /** Number of open streams. */
  get openStreams(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.sink !== null) n++;
    return n;
  }

  /**
   * Registers an event before it joins the queue, so no message for it can be lost. `graceMs`
   * overrides the session's grace period (the /call API gives people time to run a second command).
   */
  expect(sessionHash: string, eventId: string, graceMs?: number): void {
    const s = this.session(sessionHash);
    if (graceMs !== undefined) s.graceMs = graceMs;
    s.pending.add(eventId);
    if (s.sink === null) this.grace.arm(s);
  }

  /** Forgets an event whose join was refused. */
  forget(sessionHash: string, eventId: string): void {
    const s = this.sessions.get(sessionHash);
    if (s === undefined) return;
    s.pending.delete(eventId);
    this.collect(s);
  }

  /** True when `eventId` is pending in `sessionHash`. */
  has(sessionHash: string, eventId: string): boolean {
    return this.sessions.get(sessionHash)?.pending.has(eventId) ?? false;
  }

  /** The session's pending events whose final is not kept here yet: still to come. */
  protected awaited(sessionHash: string): number {
    const s = this.sessions.get(sessionHash);
    return s === undefined ? 0 : s.pending.size - s.outbox.finalsOf(s.pending);
  }

  /** True when the session exists (has pending events or buffered messages). */
  knows(sessionHash: string): boolean {
    return this.sessions.has(sessionHash);
  }

  /** True when a stream of the session is attached here. */
  hasReader(sessionHash: string): boolean {
    const s = this.sessions.get(sessionHash);
    return s !== undefined && s.sink !== null;
  }

  /**
   * Looks for a session this hub does not know where other processes keep theirs, and takes it
   * over when found (a user reconnecting through another front). Only a hub of a shared queue
   * (ClusterSessionHub) has anywhere to look; this one answers false.
   */
  adopt(_sessionHash: string): Promise<boolean> {
    return Promise.resolve(false);
  }

  /** True when `eventId` is pending in `sessionHash`, here or (shared queue) in another process. */
  owns(sessionHash: string, eventId: string): Promise<boolean> {
    return Promise.resolve(this.has(sessionHash, eventId));
  }

  /** Engine listener: delivers or buffers one event. */
  readonly deliver = (event: EngineEvent): void => {
    const s = this.sessions.get(event.sessionHash);
    if (s === undefined || !s.pending.has(event.eventId)) return;
    if (s.sink !== null && !s.congested && s.outbox.size === 0) {
      this.write(s, s.sink, event);
    } else {
      this.buffer(s, event);
    }
  };

  /**
   * Keeps a message for a session that has no reading stream now. A large output counts in the
   * budget; one that does not fit is not kept: a final becomes a RESULT_DROPPED error, a generator
   * chunk is skipped (the next one, or the final, carries the full value).
   */
  private buffer(s: Session, event: EngineEvent): void {
    const budget = this.options.budget;
    if (budget != null && (event.type === "completed" || event.type === "generating")) {
      const bytes = roughSize(event.output);
      if (bytes >= LARGE_MESSAGE_CHARS) {
        if (!budget.keep(s, bytes)) {
          if (event.type === "completed") {
            budget.dropped();
            s.outbox.push(resultDropped(event));
          }
          return;
        }
        s.keptBytes += bytes;
      }
    }
    s.outbox.push(event);
  }

  /** {@link cutOff}, made once for every sink. */
  private readonly onSinkCut: CutHandler = (sessionHash, sink, finals) => this.cutOff(sessionHash, sink, finals);

  /**
   * A reader was cut off for not reading: its stream is gone, and the final messages it may not
   * have read are kept for `keptResultTtlMs`, within the budget (one that does not fit becomes a
   * RESULT_DROPPED error), so that the client that comes back reads its result or a clear error.
   */
  private cutOff(sessionHash: string, sink: Sink, finals: readonly UnreadFinal[]): void {
    let s = this.sessions.get(sessionHash);
    if (s !== undefined && s.sink === sink) {
      s.sink = null;
      s.congested = false;
    }
    if (this.closed) return;
    if (finals.length === 0) {
      if (s !== undefined && s.sink === null) this.detached(s);
      return;
    }
    s ??= this.session(sessionHash);
    // What was buffered behind the cut stream goes after its finals, as it would have.
    const behind = s.outbox.drain();
    const budget = this.options.budget;
    for (const f of finals) {
      if (budget == null || budget.keep(s, f.bytes)) {
        s.keptBytes += f.bytes;
        s.outbox.push(f.event);
      } else if (f.event.type === "completed") {
        budget.dropped();
        s.outbox.push(resultDropped(f.event));
      } else s.outbox.push(f.event);
    }
    for (const e of behind) s.outbox.push(e);
    if (s.sink !== null) {
      // Another stream of the session is attached (it took over meanwhile): it reads them now.
      this.flush(s);
      return;
    }
    s.keptForReturn = true;
    this.grace.disarm(s);
    this.grace.arm(s);
  }

  /**
   * Attaches a stream to a session; buffered messages go out at once. A second stream for the
   * same session replaces the first (the newest reader wins): callers let only a request that
   * proved it is the session's own client do that (see SessionOwners; others get SESSION_BUSY). Returns false when the session is
   * unknown (the caller reports session_not_found) unless the sink is persistent (a socket opens
   * before its first join), or when the hub is closed.
   */
  attach(sessionHash: string, sink: Sink): boolean {
    if (this.closed) return false;
    let s = this.sessions.get(sessionHash);
    if (s === undefined) {
      if (sink.persistent !== true) return false;
      s = this.session(sessionHash);
    }
    const previous = s.sink;
    s.sink = sink;
    s.congested = false;
    if (previous !== null) previous.finish("replaced");
    this.grace.disarm(s);
    // Before the flush: an SSE stream usually ends in it, and its reader may still not read what it got.
    sink.onCut?.(this.onSinkCut, sessionHash);
    this.flush(s);
    // Still attached (most SSE streams of a prediction end in the flush): watch for the reader leaving.
    if (s.sink === sink) {
      sink.onClose(() => this.detach(s, sink));
      this.ensureHeartbeat();
    }
    return true;
  }

  /** Ends every stream and forgets every session (after the engine has ended all events). */
  close(): void {
    this.closed = true;
    if (this.heartbeatTimer !== null) this.options.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.grace.close();
    for (const s of this.sessions.values()) {
      this.grace.disarm(s);
      this.releaseKept(s);
      const sink = s.sink;
      s.sink = null;
      if (sink !== null) {
        for (const e of s.outbox.drain()) sink.write(e);
        sink.finish("shutdown");
      }
    }
    this.sessions.clear();
  }

  private session(hash: string): Session {
    let s = this.sessions.get(hash);
    if (s === undefined) {
      s = new Session(hash, this.options.sessionGraceMs);
      this.sessions.set(hash, s);
    }
    return s;
  }

  private write(s: Session, sink: Sink, event: EngineEvent): void {
    const ok = sink.write(event);
    if (TERMINAL_TYPES.has(event.type)) {
      s.pending.delete(event.eventId);
      if (s.pending.size === 0 && s.outbox.size === 0 && sink.persistent !== true) {
        s.sink = null;
        sink.finish("idle");
        this.collect(s);
        return;
      }
    }
    if (!ok && s.sink === sink && !s.congested) {
      s.congested = true;
      sink.onDrain(() => {
        if (s.sink !== sink) return;
        s.congested = false;
        this.flush(s);
      });
    }
  }

  private flush(s: Session): void {
    const sink = s.sink;
    if (sink === null) return;
    if (s.pending.size === 0 && s.outbox.size === 0) {
      // A persistent sink waits for the next join.
      if (sink.persistent === true) return;
      // Nothing to wait for (e.g. a reconnect after everything was delivered): the protocol says close.
      s.sink = null;
      sink.finish("idle");
      this.collect(s);
      return;
    }
    const items = s.outbox.drain();
    // Handed to a stream: its bytes now count (if large) on that connection.
    this.releaseKept(s);
    for (let i = 0; i < items.length; i++) {
      if (s.sink !== sink || s.congested) {
        // The reader fell behind again, or the stream ended: keep the rest for later.
        for (let j = i; j < items.length; j++) s.outbox.push(items[j] as EngineEvent);
        return;
      }
      this.write(s, sink, items[i] as EngineEvent);
    }
  }

  private detach(s: Session, sink: Sink): void {
    if (s.sink !== sink) return;
    s.sink = null;
    s.congested = false;
    this.detached(s);
  }

  private detached(s: Session): void {
    if (s.pending.size > 0 || s.outbox.size > 0) this.grace.arm(s);
    else this.collect(s);
  }

  /** Releases the session's kept bytes from the budget (its outbox was read or dropped). */
  private releaseKept(s: Session): void {
    s.keptForReturn = false;
    if (s.keptBytes === 0) return;
    this.options.budget?.release(s);
    s.keptBytes = 0;
  }

  /** A grace period ended: if the session still has no reader, it is gone for good. */
  private graceEnded(s: Session): void {
    if (s.sink !== null || this.sessions.get(s.hash) !== s || this.closed) return;
    this.sessions.delete(s.hash);
    // Only the kept results of a reader that was cut off and did not come back: nothing to cancel,
    // and the session itself (its State) may live on in another stream later.
    const onlyKept = s.keptForReturn && s.pending.size === 0;
    this.releaseKept(s);
    if (onlyKept) return;
    // Nobody will read these messages. Cancel what is still queued or running.
    this.options.onSessionGone?.(s.hash);
    void this.options.engine.cancelSession(s.hash, "disconnect").catch(() => undefined);
  }

  /** Drops a session that has nothing left to deliver and no reader. */
  private collect(s: Session): void {
    if (s.pending.size > 0 || s.outbox.size > 0 || s.sink !== null) return;
    this.grace.disarm(s);
    if (this.sessions.get(s.hash) !== s) return;
    this.sessions.delete(s.hash);
    this.ended(s.hash);
  }

  /**
   * The hub forgot a session with nothing left to deliver: its events reached a reader, or their
   * joins were refused. (Not called when a grace period ends: the events cancelled then still end
   * later.)
   */
  protected ended(_sessionHash: string): void {}

  private ensureHeartbeat(): void {
    if (this.heartbeatTimer !== null || this.closed) return;
    const beat = (): void => {
      this.heartbeatTimer = null;
      let open = 0;
      for (const s of this.sessions.values()) {
        if (s.sink !== null && !s.congested) {
          s.sink.heartbeat();
          open++;
        }
      }
      // One timer for all streams, and none at all while no stream is open.
      if (open > 0 && !this.closed) this.heartbeatTimer = this.options.clock.setTimeout(beat, this.options.heartbeatMs);
    };
    this.heartbeatTimer = this.options.clock.setTimeout(beat, this.options.heartbeatMs);
  }
}
