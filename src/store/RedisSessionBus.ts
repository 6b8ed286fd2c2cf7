/**
 * The event bus of the Redis store. Publishing appends an engine event to its session's log (a
 * capped Redis stream with a TTL) and sends it, in the same script, to every node holding the
 * session (their `to:<node>` channel), so each node receives a session's messages in log order.
 * A node that adopts a session (a user reconnecting through another front) joins the session's
 * nodes and reads the log after the session's read cursor in one script: a message is either in
 * that backlog or arrives live afterwards (duplicates are dropped by log id).
 */
import type { EngineEvent } from "../queue/types.ts";
import type { RedisLink } from "./RedisLink.ts";
import type { SessionBus, SessionMessage } from "./SharedQueueStore.ts";

/** {@link SessionBus} on Redis. See the file comment. */
export class RedisSessionBus implements SessionBus {
  readonly #link: RedisLink;
  readonly #listeners = new Set<(sessionHash: string, message: SessionMessage) => void>();

  constructor(link: RedisLink) {
    this.#link = link;
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
    const [pending, flat] = (await this.#link.run("usherAdopt", sessionHash, o.sessionMaxMessages, o.sessionTtlMs, hold ? "1" : "0")) as [
      string[],
      string[],
    ];
    const backlog: SessionMessage[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) backlog.push({ id: flat[i] as string, event: JSON.parse(flat[i + 1] as string) as EngineEvent });
    return { pending, backlog };
  }

  leave(sessionHash: string): void {
    this.#link.fire((r) => r.srem(`${this.#link.prefix}ses:${sessionHash}:nodes`, this.#link.nodeId));
  }

  setReader(sessionHash: string, attached: boolean): void {
    const key = `${this.#link.prefix}ses:${sessionHash}:readers`;
    if (attached) this.#link.fire((r) => r.multi().sadd(key, this.#link.nodeId).pexpire(key, this.#link.options.sessionTtlMs).exec());
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
    this.#link.fire((r) => r.set(`${this.#link.prefix}ses:${sessionHash}:cursor`, id, "PX", this.#link.options.sessionTtlMs));
  }

  onReconnect(listener: (lostData: boolean) => void): () => void {
    return this.#link.onReconnect(listener);
  }

  #publish(event: EngineEvent, force: boolean): void {
    const o = this.#link.options;
    const json = JSON.stringify(event);
    this.#link.fire(() =>
      this.#link.run("usherPublish", event.sessionHash, event.eventId, event.type, json, force ? "1" : "0", o.sessionTtlMs, o.sessionMaxMessages),
    );
  }
}
