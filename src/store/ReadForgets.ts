/**
 * Logged finals that a reader of this node read: they leave their sessions' logs (a later join of
 * the session must not take them for history left by another node). Each rides on this node's
 * next admission or release script (no round trip of its own), or after {@link FORGET_WAIT_MS}
 * goes out in one pipeline with the others.
 */
import type { TimerHandle } from "../clock.ts";
import { listen } from "./listen.ts";
import type { RedisLink } from "./RedisLink.ts";

/** A read final leaves its log at most this long after it was read (with a script, usually sooner), ms. */
const FORGET_WAIT_MS = 50;

/** See the file comment. */
export class ReadForgets {
  readonly #link: RedisLink;
  /** [sessionHash, logId, ...] */
  #list: string[] = [];
  #timer: TimerHandle | null = null;
  readonly #forgottenListeners = new Set<(sessionHash: string, id: string) => void>();

  constructor(link: RedisLink) {
    this.#link = link;
  }

  /** The log entry `id` of the session was read here. */
  add(sessionHash: string, id: string): void {
    this.#list.push(sessionHash, id);
    if (this.#timer !== null) return;
    this.#timer = this.#link.clock.setTimeout(() => {
      this.#timer = null;
      const list = this.take();
      if (list.length === 0) return;
      const p = this.#link.prefix;
      this.#link.fire((r) => {
        const pipe = r.pipeline();
        for (let i = 0; i + 1 < list.length; i += 2) pipe.xdel(`${p}ses:${list[i]}:log`, list[i + 1] as string);
        return pipe.exec().then((replies) => {
          if (replies !== null && replies.every(([err]) => err === null)) this.confirm(list);
        });
      });
    }, FORGET_WAIT_MS);
  }

  /** The entries to forget, [sessionHash, logId, ...], for a script to carry; taken. */
  take(): string[] {
    const list = this.#list;
    this.#list = [];
    return list;
  }

  /** A script that carried these failed: they wait for the next one. */
  giveBack(list: readonly string[]): void {
    this.#list.push(...list);
  }

  /** These entries ([sessionHash, logId, ...]) have left their logs: Redis answered the call that carried them. */
  confirm(list: readonly string[]): void {
    if (this.#forgottenListeners.size === 0) return;
    for (let i = 0; i + 1 < list.length; i += 2) {
      for (const l of this.#forgottenListeners) l(list[i] as string, list[i + 1] as string);
    }
  }

  /** Listens to {@link confirm}: a log entry read here is gone from the store. */
  onForgotten(listener: (sessionHash: string, id: string) => void): () => void {
    return listen(this.#forgottenListeners, listener);
  }

  /** Stops the timer (the link is closing). */
  close(): void {
    if (this.#timer !== null) this.#link.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
