import type { State } from "../components/index.ts";
import type { SessionStateStore } from "../store/index.ts";
import { UseOrder } from "../UseOrder.ts";

export type { SessionStateStore };

/**
 * The values of State components, per session, in memory. Sessions are freed by
 * `ServedApp.closeSession` (when the page's heartbeat stream ends); as a backstop against clients
 * that never open one, the least recently used sessions beyond `capacity` are dropped, as Gradio's
 * StateHolder does (capacity 10 000).
 */
export class SessionState implements SessionStateStore {
  /**
   * The sessions' values, and their use order as a list threaded through the entries (least
   * recently used first). Not the Map's own order (a use re-inserting its key): at capacity,
   * finding the Map's oldest key meant an iterator stepping over every key deleted since the table
   * was last compacted, ~4 µs per new session at 10 000 (see SessionOwners, which had the same).
   */
  readonly #sessions = new Map<string, StateEntry>();
  readonly #order = new UseOrder<StateEntry>();
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
    const entry = this.#sessions.get(sessionHash);
    if (entry === undefined) return;
    this.#order.unlink(entry);
    this.#sessions.delete(sessionHash);
  }

  /** The session's values, moved to the most recently used end. */
  #touch(sessionHash: string): Map<number, unknown> {
    let entry = this.#sessions.get(sessionHash);
    if (entry !== undefined) {
      this.#order.touch(entry);
      return entry.values;
    }
    const oldest = this.#order.oldest;
    if (this.#sessions.size >= this.#capacity && oldest !== null) {
      this.#order.unlink(oldest);
      this.#sessions.delete(oldest.sessionHash);
    }
    entry = { sessionHash, values: new Map(), older: null, newer: null };
    this.#sessions.set(sessionHash, entry);
    this.#order.append(entry);
    return entry.values;
  }
}

/** One session's values and its neighbours in use order. */
interface StateEntry {
  readonly sessionHash: string;
  readonly values: Map<number, unknown>;
  /** Used just before (null: the least recently used). */
  older: StateEntry | null;
  /** Used just after (null: the most recently used). */
  newer: StateEntry | null;
}
