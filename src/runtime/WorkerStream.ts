/**
 * The main thread's view of a stream that a worker function returned: an async iterator that
 * asks the worker for one chunk per `next()`, so the generator in the worker runs no further ahead
 * than an inline one would, and whose `return()` closes the generator there (its finally blocks
 * run) and resolves once the worker's thread is free.
 */
import type { ToWorker } from "./workerMessages.ts";

/** What the call relays to its stream. */
export type StreamMessage =
  | { readonly type: "chunk"; readonly value: unknown }
  | { readonly type: "done" }
  | { readonly type: "error"; readonly error: Error };

/** How the call ended, as {@link WorkerStream} needs it. */
type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: Error };

/** A worker's stream; iterate it once. */
export class WorkerStream implements AsyncIterableIterator<unknown> {
  readonly #post: (msg: ToWorker) => void;
  readonly #finished: () => Promise<Outcome>;
  readonly #inbox: StreamMessage[] = [];
  #waiter: ((msg: StreamMessage | null) => void) | null = null;
  #closed = false;
  /** The call is over: nothing more will be delivered. */
  #over = false;

  /**
   * @param post sends a control message to the worker
   * @param finished settles when the call is over and its thread free (after a crash too)
   */
  constructor(post: (msg: ToWorker) => void, finished: () => Promise<Outcome>) {
    this.#post = post;
    this.#finished = finished;
    // A crash or termination sends nothing: wake a pending next() when the call is over.
    void finished().then(() => {
      this.#over = true;
      this.#wake(null);
    });
  }

  /** Called by the call for each chunk, the end, or an error. */
  deliver(msg: StreamMessage): void {
    if (this.#waiter !== null) {
      const w = this.#waiter;
      this.#waiter = null;
      w(msg);
    } else this.#inbox.push(msg);
  }

  async next(): Promise<IteratorResult<unknown>> {
    if (this.#closed) return { done: true, value: undefined };
    this.#post({ type: "next" });
    const msg =
      this.#inbox.shift() ?? (this.#over ? null : await new Promise<StreamMessage | null>((r) => (this.#waiter = r)));
    if (msg !== null && msg.type === "chunk") return { done: false, value: msg.value };
    this.#closed = true;
    const outcome = await this.#finished();
    if (msg !== null && msg.type === "error") throw msg.error;
    if (msg === null && !outcome.ok) throw outcome.error;
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<unknown>> {
    if (!this.#closed) {
      this.#closed = true;
      this.#post({ type: "return" });
    }
    await this.#finished();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #wake(msg: StreamMessage | null): void {
    if (this.#waiter === null) return;
    const w = this.#waiter;
    this.#waiter = null;
    w(msg);
  }
}
