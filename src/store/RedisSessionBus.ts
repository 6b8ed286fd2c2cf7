/**
 * The event bus of the Redis store. An event admitted through this node (its origin) is delivered
 * in-process while no other node holds its session: no Redis command per message. Its final goes
 * to Redis with the release of the claim that ran it (one script; see RELEASE), which logs it only
 * when no reader here got it or another node holds the session. Any other message (an event run
 * here for another origin, or of a session another node adopted: the adopter tells the origin, "H")
 * is published: appended to its session's log (a capped Redis stream with a TTL) and sent, in the
 * same script, to the event's origin and to every node that adopted the session (their
 * `to:<node>` channel), so each node receives a session's messages in log order. A progress
 * message of a session no node adopted is sent to its origin alone, unlogged, like the origin's own.
 * A node that adopts a session (a user reconnecting through another front) joins the session's
 * nodes and reads the log after the session's read cursor in one script: a message is either in
 * that backlog or arrives live afterwards (duplicates are dropped by log id).
 *
 * A message that cannot be published (Redis unreachable) waits in an outbox ({@link RedisOutbox}),
 * in order, with every message after it: a job that ends while Redis is away (or restarting) still
 * delivers its result.
 */
import { isUsherError } from "../errors.ts";
import { TERMINAL_TYPES, type EngineEvent } from "../queue/index.ts";
import type { RedisLink } from "./RedisLink.ts";
import { listen } from "./listen.ts";
import { RedisOutbox } from "./RedisOutbox.ts";
import { finalJson, RELEASE_NEEDS_JSON, type LocalFinal, type Unsent } from "./LocalFinal.ts";
import { ReadForgets } from "./ReadForgets.ts";
import { STORE_LOST_ERROR } from "./redisLinkErrors.ts";
import type { Adopted, SessionBus, SessionMessage } from "./SharedQueueStore.ts";
import { usherWarning } from "../warnings.ts";

/** {@link SessionBus} on Redis. See the file comment. */
export class RedisSessionBus implements SessionBus {
  readonly #link: RedisLink;
  readonly #listeners = new Set<(sessionHash: string, message: SessionMessage) => void>();
  /** Messages not published yet, in order (see the file comment). */
  readonly #outbox: RedisOutbox;
  /** Events admitted here (their origin) that have not ended. */
  readonly #local = new Set<string>();
  /** Events running here: their origin node (routing of their messages; "" unknown). */
  readonly #running = new Map<string, string>();
  /** Events this node took out of the queue (cancelled): their origin, for their final's routing. */
  readonly #removed = new Map<string, string>();
  /** Sessions another node holds too: their messages go through Redis. */
  readonly #shared = new Set<string>();
  /** Finals delivered here, by event id, until their claim's release takes them. */
  readonly #finals = new Map<string, LocalFinal>();
  readonly #sharedListeners = new Set<(sessionHash: string) => void>();
  /** Read finals leaving their logs; the admission and release scripts carry them (RedisStore). */
  readonly forgets: ReadForgets;
  /** Per session: events still pending in Redis when the release of its latest final here answered. */
  readonly #remaining = new Map<string, number>();
  /** Per session: finals delivered here whose release has not answered yet, and who waits for that. */
  readonly #unsettled = new Map<string, { count: number; waiters: (() => void)[] }>();
  readonly #loggedListeners = new Set<(event: EngineEvent, id: string) => void>();
  readonly #unloggedListeners = new Set<(event: EngineEvent) => void>();
  readonly #ranElsewhereListeners = new Set<(event: EngineEvent) => void>();

  constructor(link: RedisLink) {
    this.#link = link;
    this.forgets = new ReadForgets(link);
    this.#outbox = new RedisOutbox(link, (m) => this.#send(m));
    // Registered before any other listener: the engine's catch-up after a break comes after the flush.
    link.onReconnect((lostData) => this.#outbox.flush(lostData));
    link.onNodeMessage("M", (body) => {
      const nl = body.indexOf("\n");
      const [sessionHash, id, remaining] = JSON.parse(body.slice(0, nl)) as [string, string, number?];
      const event = JSON.parse(body.slice(nl + 1)) as EngineEvent;
      // A final another node ran for this origin says what is still pending (see othersPending).
      if (remaining !== undefined) this.#remaining.set(sessionHash, remaining);
      // An event admitted here whose output or final came from elsewhere: its start, if no S told it yet (a quiet
      // claim's leaves at the end of its turn, after what it yielded then), goes first. After a final, nothing more.
      if (this.#local.has(event.eventId) && event.type !== "estimation" && event.type !== "started") {
        for (const l of this.#ranElsewhereListeners) l(event);
        if (TERMINAL_TYPES.has(event.type)) this.#local.delete(event.eventId);
      }
      for (const l of this.#listeners) l(sessionHash, { id, event });
    });
    link.onNodeMessage("H", (sessionHash) => this.share(sessionHash));
  }

  /**
   * Another node holds the session too (it adopted it, or joined events to it): its messages go
   * through Redis from now on, and the listeners catch up with it.
   */
  share(sessionHash: string): void {
    this.#shared.add(sessionHash);
    for (const l of this.#sharedListeners) l(sessionHash);
  }

  /** Listens to {@link share}. */
  onShared(listener: (sessionHash: string) => void): () => void {
    return listen(this.#sharedListeners, listener);
  }

  /** Listens to log ids given to finals delivered here (a reader's cursor moves past them). */
  onLogged(listener: (event: EngineEvent, id: string) => void): () => void {
    return listen(this.#loggedListeners, listener);
  }

  /** Listens to finals delivered here that ended unlogged in a session no other node holds. */
  onUnlogged(listener: (event: EngineEvent) => void): () => void {
    return listen(this.#unloggedListeners, listener);
  }

  /** Listens to outputs and finals of events admitted here, from other nodes, before delivery (see QuietStarts). */
  onRanElsewhere(listener: (event: EngineEvent) => void): () => void {
    return listen(this.#ranElsewhereListeners, listener);
  }

  /** Events admitted through this node that have not ended as far as it knows (diagnostics, tests). */
  get admittedOpen(): number {
    return this.#local.size;
  }

  /** Whether this node's claims are quiet now (see QuietStarts; diagnostics, tests). */
  get quietClaims(): boolean {
    return this.#link.quiet.on;
  }

  /** The store admitted an event through this node. */
  admitted(eventId: string): void {
    this.#local.add(eventId);
  }

  /** This node runs these events now (claimed), for events admitted by `origins` ("" unknown). */
  running(eventIds: readonly string[], origins: readonly string[]): void {
    eventIds.forEach((id, i) => this.#running.set(id, origins[i] ?? ""));
  }

  /**
   * This node took a waiting event, admitted by `origin`, out of the queue: its final (cancelled)
   * is published from here, to that node. Not running here: the final has no release to ride on.
   */
  removed(eventId: string, origin: string): void {
    this.#removed.set(eventId, origin);
  }

  /**
   * True when this node delivers the event itself: admitted here, its session held by no other
   * node, and (for a final) run here, so that the claim's release can end it in Redis.
   */
  deliversHere(event: EngineEvent): boolean {
    if (!this.#local.has(event.eventId) || this.#shared.has(event.sessionHash)) return false;
    return !TERMINAL_TYPES.has(event.type) || this.#running.has(event.eventId);
  }

  /** A final this node delivered itself (see {@link deliversHere}); `read`: a reader here got it. */
  endedHere(event: EngineEvent, read: boolean): void {
    this.#local.delete(event.eventId);
    this.#finals.set(event.eventId, { event, json: read ? null : JSON.stringify(event), read });
    const u = this.#unsettled.get(event.sessionHash);
    if (u === undefined) this.#unsettled.set(event.sessionHash, { count: 1, waiters: [] });
    else u.count++;
  }

  /**
   * Calls `then` (in a microtask) once every final of the session delivered here was released in
   * Redis: only then is it known whether another node holds the session ({@link share} is first).
   */
  whenSettled(sessionHash: string, then: () => void): void {
    const u = this.#unsettled.get(sessionHash);
    if (u === undefined) queueMicrotask(then);
    else u.waiters.push(then);
  }

  /** The finals of a claim's events, taken for its release: delivered here, or to go to their origin. */
  takeFinals(eventIds: readonly string[]): LocalFinal[] {
    const out: LocalFinal[] = [];
    for (const id of eventIds) {
      this.#running.delete(id);
      const f = this.#finals.get(id);
      if (f === undefined) continue;
      this.#finals.delete(id);
      out.push(f);
    }
    return out;
  }

  /** See SessionBus: told by the release of a final delivered here, or with a final another node ran for this origin. */
  othersPending(sessionHash: string): boolean | undefined {
    const n = this.#remaining.get(sessionHash);
    this.#remaining.delete(sessionHash);
    return n === undefined ? undefined : n > 0;
  }

  runsHere(eventId: string): boolean {
    return this.#running.has(eventId);
  }

  heldSolo(sessionHash: string): boolean {
    return this.#link.solo.has(sessionHash);
  }

  /**
   * The release carrying these finals answered, per final: [eventId, logId ("" not logged), adopted
   * (1: another node holds the session), remaining (events of the session still pending)...].
   */
  released(finals: readonly LocalFinal[], flat: readonly (string | number)[]): void {
    for (let i = 0; i + 3 < flat.length; i += 4) {
      const f = finals.find((x) => x.event.eventId === flat[i]);
      if (f === undefined || f.origin !== undefined) continue;
      const h = f.event.sessionHash;
      const id = String(flat[i + 1]);
      this.#remaining.set(h, Number(flat[i + 3]));
      // Read here, sent without its JSON, and another node adopted the session meanwhile: the
      // release left it unlogged, so it goes to the log and the adopters from here (forced: the
      // release ended it in the pending set already).
      if (id === RELEASE_NEEDS_JSON) this.#resend(f);
      else if (id !== "") for (const l of this.#loggedListeners) l(f.event, id);
      if (Number(flat[i + 2]) === 1 && !this.#shared.has(h)) this.share(h);
      else if (id === "" && !this.#shared.has(h)) for (const l of this.#unloggedListeners) l(f.event);
    }
    this.#settle(finals);
  }

  /** The release carrying these finals failed: they go out through the outbox, in order. */
  unreleased(finals: readonly LocalFinal[]): void {
    for (const f of finals) {
      const json = finalJson(f);
      if (f.origin !== undefined) this.#outbox.hold({ event: f.event, json, force: false, origin: f.origin });
      else this.#outbox.hold({ event: f.event, json, force: false, origin: this.#link.nodeId, deliveredHere: true });
    }
    this.#settle(finals);
  }

  /** A final delivered here that its release could not log (see {@link released}): published forced, its log id told. */
  #resend(f: LocalFinal): void {
    const m: Unsent = {
      event: f.event,
      json: finalJson(f),
      force: true,
      origin: this.#link.nodeId,
      deliveredHere: true,
      logged: (id) => {
        for (const l of this.#loggedListeners) l(f.event, id);
      },
    };
    if (this.#outbox.waiting) this.#outbox.hold(m);
    else this.#send(m);
  }

  #settle(finals: readonly LocalFinal[]): void {
    for (const f of finals) {
      if (f.origin !== undefined) continue;
      const u = this.#unsettled.get(f.event.sessionHash);
      if (u === undefined || --u.count > 0) continue;
      this.#unsettled.delete(f.event.sessionHash);
      for (const w of u.waiters) queueMicrotask(w);
      u.waiters = []; // An old table of the map may still hold the entry (see AdmittedJobs.ts).
    }
  }

  readonly publish = (event: EngineEvent): void => this.#publish(event, false);

  publishForced(event: EngineEvent): void {
    this.#publish(event, true);
  }

  onMessage(listener: (sessionHash: string, message: SessionMessage) => void): () => void {
    return listen(this.#listeners, listener);
  }

  async adopt(sessionHash: string, hold = false): Promise<Adopted> {
    const o = this.#link.options;
    const [pending, flat, running] = (await this.#link.run(
      "usherAdopt",
      sessionHash,
      o.sessionMaxMessages,
      o.sessionTtlMs,
      hold ? "1" : "0",
    )) as [string[], string[], string[]];
    const backlog: SessionMessage[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      backlog.push({ id: flat[i] as string, event: JSON.parse(flat[i + 1] as string) as EngineEvent });
    return { pending, running, backlog };
  }

  leave(sessionHash: string): void {
    this.#shared.delete(sessionHash);
    this.#remaining.delete(sessionHash);
    this.#link.fire((r) => r.srem(`${this.#link.prefix}ses:${sessionHash}:pending`, `@${this.#link.nodeId}`));
  }

  async heldElsewhere(sessionHash: string): Promise<boolean> {
    return (await this.#link.run("usherHeldElsewhere", sessionHash)) === 1;
  }

  async pendingEvents(sessionHash: string): Promise<string[]> {
    const members = await this.#link.call((r) => r.smembers(`${this.#link.prefix}ses:${sessionHash}:pending`));
    // "@<node>" members are the nodes that adopted the session, not events.
    return members.filter((m) => !m.startsWith("@"));
  }

  async isPending(sessionHash: string, eventId: string): Promise<boolean> {
    return (await this.#link.call((r) => r.sismember(`${this.#link.prefix}ses:${sessionHash}:pending`, eventId))) === 1;
  }

  /** A logged final a reader here read leaves its log (see {@link ReadForgets}). */
  forgetRead(sessionHash: string, id: string): void {
    this.forgets.add(sessionHash, id);
  }

  onForgotten(listener: (sessionHash: string, id: string) => void): () => void {
    return this.forgets.onForgotten(listener);
  }

  saveCursor(sessionHash: string, id: string): void {
    this.#link.fire((r) =>
      r.set(`${this.#link.prefix}ses:${sessionHash}:cursor`, id, "PX", this.#link.options.sessionTtlMs),
    );
  }

  onReconnect(listener: (lostData: boolean) => void): () => void {
    return this.#link.onReconnect(listener);
  }

  get restoreGraceMs(): number {
    return this.#link.options.leaseMs;
  }

  async failLost(sessionHash: string, eventIds: readonly string[]): Promise<string[]> {
    if (eventIds.length === 0) return [];
    const o = this.#link.options;
    return (await this.#link.run(
      "usherFailLost",
      sessionHash,
      JSON.stringify(STORE_LOST_ERROR),
      o.sessionTtlMs,
      o.sessionMaxMessages,
      ...eventIds,
    )) as string[];
  }

  #publish(event: EngineEvent, force: boolean): void {
    const id = event.eventId;
    const origin = this.#local.has(id) ? this.#link.nodeId : (this.#running.get(id) ?? this.#removed.get(id) ?? "");
    // Run here for another origin: the claim told that origin ("S"), which tells its users the start.
    const progress = event.type === "started" || event.type === "estimation";
    if (progress && !force && origin !== "" && origin !== this.#link.nodeId && this.#running.has(id)) return;
    if (TERMINAL_TYPES.has(event.type)) {
      this.#local.delete(id);
      this.#removed.delete(id);
      // Its origin learns the start from the final (a quiet claim's S is not owed).
      this.#link.quiet.ended(id);
    }
    const m: Unsent = { event, json: JSON.stringify(event), force, origin };
    // Behind messages still waiting: a session's messages keep their order.
    if (this.#outbox.waiting) this.#outbox.hold(m);
    else if (!force && origin !== "" && TERMINAL_TYPES.has(event.type) && this.#running.has(id)) this.#park(m);
    else this.#send(m);
  }

  /**
   * The final of an event run here for another origin rides on its claim's release, which comes
   * in the same tick when the job ended by itself. When it does not (a cancel, whose job may take a
   * while to stop), the final goes out alone.
   */
  #park(m: Unsent): void {
    const f: LocalFinal = { event: m.event, json: m.json, read: false, origin: m.origin };
    this.#finals.set(m.event.eventId, f);
    queueMicrotask(() => {
      if (this.#finals.get(m.event.eventId) !== f) return;
      this.#finals.delete(m.event.eventId);
      if (this.#outbox.waiting) this.#outbox.hold(m);
      else this.#send(m);
    });
  }

  #send(m: Unsent): void {
    const o = this.#link.options;
    const { event } = m;
    // A progress message may wait a moment for others (a streamed output's chunks); a final may not.
    const call = m.force || TERMINAL_TYPES.has(event.type) ? "run" : "runSoon";
    this.#link[call](
      "usherPublish",
      event.sessionHash,
      event.eventId,
      event.type,
      m.json,
      m.force ? "1" : "0",
      o.sessionTtlMs,
      o.sessionMaxMessages,
      m.origin,
      m.deliveredHere === true ? "0" : "1",
    )
      .then((id) => {
        if (typeof id === "string" && id !== "") m.logged?.(id);
      })
      .catch((err: unknown) => {
        // A Lua error is a bug that a retry would repeat; an unreachable store is worth waiting for.
        if (isUsherError(err, "STORE_UNAVAILABLE")) this.#outbox.hold(m);
        else usherWarning("UsherStoreWarning", `Usher could not publish a session message: ${String(err)}`);
      });
  }

  /** Stops the outbox's retry timer (the link is closing). */
  close(): void {
    this.#outbox.close();
    this.forgets.close();
  }
}
