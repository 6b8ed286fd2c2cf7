/** What a {@link SessionStateStore} needs of a State component: its value before any set. */
export interface StateDefault {
  initialValue(): unknown;
}

/**
 * Where State values live: `SessionState` (src/app/SessionState.ts) in this process (the default),
 * or a store every process of a scale-out deployment reaches (the Redis store's). The store layer
 * owns this contract so that a store imports nothing of the app model. Shared stores answer with promises.
 */
export interface SessionStateStore {
  /** The session's value of the State with config id `id` (its initial value the first time). */
  get(sessionHash: string, id: number, state: StateDefault): unknown;
  /** Sets the session's value of the State with config id `id`. */
  set(sessionHash: string, id: number, value: unknown): void | Promise<void>;
  /** The session is gone: its values may go. */
  delete(sessionHash: string): void;
}
