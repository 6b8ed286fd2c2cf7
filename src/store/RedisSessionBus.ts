/**
 * The event bus of the Redis store. Publishing appends an engine event to its session's log (a
 * capped Redis stream with a TTL) and sends it, in the same script, to every node holding the
 * session (their `to:<node>` channel), so each node receives a session's messages in log order.
 * A node that adopts a session (a user reconnecting through another front) joins the session's
 * nodes and reads the log after the session's read cursor in one script: a message is either in
 * that backlog or arrives live afterwards (duplicates are dropped by log id).
 *
 * A message that cannot be published (Redis unreachable) waits in an outbox, in order, with every
 * message after it, and goes out once the connection is back: a job that ends while Redis is away
 * (or restarting) still delivers its result. After Redis lost its data the outbox is published
 * forced, as the events' pending entries went with the data. The outbox keeps at most
 * {@link OUTBOX_MAX} messages; past that, new progress messages are dropped, never a terminal one.
 */
import { every, type Repeating } from "../clock.ts";
import { isUsherError } from "../errors.ts";
import { TERMINAL_TYPES, type EngineEvent } from "../queue/index.ts";
import type { RedisLink } from "./RedisLink.ts";
import type { SessionBus, SessionMessage } from "./SharedQueueStore.ts";

/** Most messages waiting in the outbox (see the file comment). */
export const OUTBOX_MAX = 10_000;
/** While the outbox holds messages and the connection looks fine, it is retried this often, ms. */
const OUTBOX_RETRY_MS = 1000;

/** What the user of an event Redis lost (with no process left to write it back) is told. */
const LOST_ERROR = {
  message: "The queue store restarted and lost this request. Please try again.",
  title: "Error",
  durationMs: null,
  visible: true,
  code: "STORE_UNAVAILABLE",
};

interface Unsent {
  readonly event: EngineEvent;
  readonly json: string;
  force: boolean;
}

/** {@link SessionBus} on Redis. See the file comment. */
export class RedisSessionBus implements SessionBus {
  readonly #link: RedisLink;
  readonly #listeners = new Set<(sessionHash: string, message: SessionMessage) => void>();
  /** Messages not published yet, in order (see the file comment). */
  #outbox: Unsent[] = [];
  #retryTimer: Repeating | null = null;
  #droppedProgress = 0;

  constructor(link: RedisLink) {
    this.#link = link;
    // Registered before any other listener: the engine's catch-up after a break comes after the flush.
    link.onReconnect((lostData) => this.#flush(lostData));
    link.onNodeMessage("M", (body) => {
      const nl = body.indexOf("\n");
      const [sessionHash, id] = JSON.parse(body.slice(0, nl)) as [string, string];
      const event = JSON.parse(body.slice(nl + 1)) as EngineEvent;
      for (const l of this.#listeners) l(sessionHash, { id, event });
    });
  }

  readonly publish = (event: EngineEvent): void => this.#publish(event, false);

  publishForced(event: EngineEvent): void {
    this.#publish(event, true);
  }

  onMessage(listener: (sessionHash: string, message: SessionMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async adopt(sessionHash: string, hold = false): Promise<{ pending: string[]; backlog: SessionMessage[] }> {
    const o = this.#link.options;
    const [pending, flat] = (await this.#link.run(
      "usherAdopt",
      sessionHash,
      o.sessionMaxMessages,
      o.sessionTtlMs,
      hold ? "1" : "0",
    )) as [string[], string[]];
    const backlog: SessionMessage[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      backlog.push({ id: flat[i] as string, event: JSON.parse(flat[i + 1] as string) as EngineEvent });
    return { pending, backlog };
  }

  leave(sessionHash: string): void {
    const p = this.#link.prefix;
    this.#link.fire((r) =>
      r
        .multi()
        .srem(`${p}ses:${sessionHash}:nodes`, this.#link.nodeId)
        .srem(`${p}nses:${this.#link.nodeId}`, sessionHash)
        .exec(),
    );
  }

  setReader(sessionHash: string, attached: boolean): void {
    const key = `${this.#link.prefix}ses:${sessionHash}:readers`;
    if (attached)
      this.#link.fire((r) =>
        r.multi().sadd(key, this.#link.nodeId).pexpire(key, this.#link.options.sessionTtlMs).exec(),
      );
    else this.#link.fire((r) => r.srem(key, this.#link.nodeId));
  }

  async readerElsewhere(sessionHash: string): Promise<boolean> {
    return (await this.#link.run("usherReaderElsewhere", sessionHash)) === 1;
  }

  pendingEvents(sessionHash: string): Promise<string[]> {
    return this.#link.call((r) => r.smembers(`${this.#link.prefix}ses:${sessionHash}:pending`));
  }

  async isPending(sessionHash: string, eventId: string): Promise<boolean> {
    return (await this.#link.call((r) => r.sismember(`${this.#link.prefix}ses:${sessionHash}:pending`, eventId))) === 1;
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
      JSON.stringify(LOST_ERROR),
      o.sessionTtlMs,
      o.sessionMaxMessages,
      ...eventIds,
    )) as string[];
  }

  #publish(event: EngineEvent, force: boolean): void {
    const m: Unsent = { event, json: JSON.stringify(event), force };
    // Behind messages still waiting: a session's messages keep their order.
    if (this.#outbox.length > 0) this.#hold(m);
    else this.#send(m);
  }

  #send(m: Unsent): void {
    const o = this.#link.options;
    const { event } = m;
    this.#link
      .run(
        "usherPublish",
        event.sessionHash,
        event.eventId,
        event.type,
        m.json,
        m.force ? "1" : "0",
        o.sessionTtlMs,
        o.sessionMaxMessages,
      )
      .catch((err: unknown) => {
        // A Lua error is a bug that a retry would repeat; an unreachable store is worth waiting for.
        if (isUsherError(err, "STORE_UNAVAILABLE")) this.#hold(m);
        else process.emitWarning(`Usher could not publish a session message: ${String(err)}`, "UsherStoreWarning");
      });
  }

  #hold(m: Unsent): void {
    if (this.#outbox.length >= OUTBOX_MAX && !TERMINAL_TYPES.has(m.event.type)) {
      if (this.#droppedProgress++ === 0) {
        process.emitWarning(
          `Usher's Redis outbox is full (${OUTBOX_MAX} messages): progress messages are dropped until Redis is back.`,
          "UsherStoreWarning",
        );
      }
      return;
    }
    this.#outbox.push(m);
    if (this.#retryTimer === null) {
      // A failure without a break of the connection brings no reconnect: try again on a timer too.
      this.#retryTimer = every(this.#link.clock, OUTBOX_RETRY_MS, () => {
        if (this.#link.healthy) this.#flush(false);
      });
    }
  }

  /** Sends the outbox, in order; what fails again goes back into it. */
  #flush(lostData: boolean): void {
    this.#retryTimer?.stop();
    this.#retryTimer = null;
    this.#droppedProgress = 0;
    const outbox = this.#outbox;
    this.#outbox = [];
    for (const m of outbox) {
      if (lostData) m.force = true;
      this.#send(m);
    }
  }

  /** Stops the outbox's retry timer (the link is closing). */
  close(): void {
    this.#retryTimer?.stop();
    this.#retryTimer = null;
  }
}
