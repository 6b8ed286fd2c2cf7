/**
 * State component values in Redis, so that every process serving a session sees the same values:
 * one hash per session (`state:<session>`, field = the State's component id, value = JSON),
 * kept `stateTtlMs` after its last read or write. Values must survive a JSON round trip.
 *
 * `delete` (called when a page's heartbeat stream closes) does nothing: with several fronts the
 * page may already be back on another one, so values simply expire when nobody uses them.
 */
import type { RedisLink } from "./RedisLink.ts";
import type { SessionStateStore, StateDefault } from "./SessionStateStore.ts";

/** {@link SessionStateStore} on Redis. See the file comment. */
export class RedisSessionState implements SessionStateStore {
  readonly #link: RedisLink;

  constructor(link: RedisLink) {
    this.#link = link;
  }

  async get(sessionHash: string, id: number, state: StateDefault): Promise<unknown> {
    const key = this.#key(sessionHash);
    const results = await this.#link.call((r) =>
      r.multi().hget(key, String(id)).pexpire(key, this.#link.options.stateTtlMs).exec(),
    );
    const json = (results?.[0]?.[1] ?? null) as string | null;
    return json === null ? state.initialValue() : (JSON.parse(json) as unknown);
  }

  async set(sessionHash: string, id: number, value: unknown): Promise<void> {
    const key = this.#key(sessionHash);
    await this.#link.call((r) =>
      r
        .multi()
        .hset(key, String(id), JSON.stringify(value === undefined ? null : value))
        .pexpire(key, this.#link.options.stateTtlMs)
        .exec(),
    );
  }

  delete(_sessionHash: string): void {
    // Expires on its own: see the file comment.
  }

  #key(sessionHash: string): string {
    return `${this.#link.prefix}state:${sessionHash}`;
  }
}
