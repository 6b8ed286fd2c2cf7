import type { State } from "../components/index.ts";
import type { SessionStateStore } from "../store/index.ts";

export type { SessionStateStore };

/**
 * The values of State components, per session, in memory. Sessions are freed by
 * `ServedApp.closeSession` (when the page's heartbeat stream ends); as a backstop against clients
 * that never open one, the least recently used sessions beyond `capacity` are dropped, as Gradio's
 * StateHolder does (capacity 10 000).
 */
export class SessionState implements SessionStateStore {
  readonly #sessions = new Map<string, Map<number, unknown>>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /** Number of sessions holding values. */
  get size(): number {
    return this.#sessions.size;
  }

  /** The session's value of the State with config id `id` (its initial value the first time). */
  get(sessionHash: string, id: number, state: State): unknown {
    const values = this.#touch(sessionHash);
    if (!values.has(id)) values.set(id, state.initialValue());
    return values.get(id);
  }

  /** Sets the session's value of the State with config id `id`. */
  set(sessionHash: string, id: number, value: unknown): void {
    this.#touch(sessionHash).set(id, value);
  }

  /** Forgets every value of a session. */
  delete(sessionHash: string): void {
    this.#sessions.delete(sessionHash);
  }

  /** The session's values, moved to the most recently used end (a Map keeps insertion order). */
  #touch(sessionHash: string): Map<number, unknown> {
    let values = this.#sessions.get(sessionHash);
    if (values !== undefined) {
      this.#sessions.delete(sessionHash);
    } else {
      values = new Map();
      if (this.#sessions.size >= this.#capacity) {
        const oldest = this.#sessions.keys().next();
        if (!oldest.done) this.#sessions.delete(oldest.value);
      }
    }
    this.#sessions.set(sessionHash, values);
    return values;
  }
}
