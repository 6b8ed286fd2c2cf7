/**
 * The app's pool of worker threads for functions declared with `inWorker()` (a piscina pool).
 * Created on the first call, so that apps without worker functions start no threads; its size is
 * fixed (`workerThreads`, min = max) so that every thread keeps its loaded model for the app's
 * life. How much runs at once is still the queue engine's business (`maxThreads`, pools and
 * batching apply unchanged); calls beyond the thread count wait in piscina's queue.
 */
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { systemClock, type Clock } from "../clock.ts";
import { UsherError } from "../errors.ts";
import type { InvokeContext } from "../queue/index.ts";
import type { WorkerRef } from "./inWorker.ts";
import { LoadTimes } from "./LoadTimes.ts";
import { runWorkerCall } from "./WorkerCall.ts";
import { workerExecArgv } from "./workerExecArgv.ts";
import { usherWarning } from "../warnings.ts";

/** Default time a cancelled call gets to notice its signal before its thread is terminated, ms. */
export const DEFAULT_WORKER_ABORT_GRACE_MS = 3000;

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** Threads in the pool. Default `os.availableParallelism()`. */
  readonly threads?: number | undefined;
  /** Time a cancelled call gets before its thread is terminated, ms. Default {@link DEFAULT_WORKER_ABORT_GRACE_MS}. */
  readonly abortGraceMs?: number | undefined;
  /** The clock of the abort grace timers. Default {@link systemClock}. */
  readonly clock?: Clock | undefined;
}

/** Runs worker functions; see the file comment. */
export class WorkerPool {
  /** Threads in the pool. */
  readonly threads: number;
  /** Grace before a cancelled call's thread is terminated, ms. */
  readonly abortGraceMs: number;
  readonly #clock: Clock;
  /** How long each module took to load in a thread (import and `setup()`), for the engine's ETAs. */
  readonly #loads = new LoadTimes();
  #pool: Piscina | null = null;
  #closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    this.abortGraceMs = options.abortGraceMs ?? DEFAULT_WORKER_ABORT_GRACE_MS;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Calls `ref` with `args` (the preprocessed arguments, without the context) in a worker thread.
   * Resolves to its return value, or to an async iterable of its chunks when it streams.
   */
  run(ref: WorkerRef, args: readonly unknown[], ctx: InvokeContext): Promise<unknown> {
    if (this.#closed) return Promise.reject(new UsherError("QUEUE_STOPPED", "The worker pool is closed."));
    return runWorkerCall(this.#ensurePool(), ref, args, ctx, this.abortGraceMs, this.#clock, this.#loads);
  }

  /** Worker threads alive now (a terminated one is replaced; for tests and metrics). */
  get threadIds(): number[] {
    return this.#pool === null ? [] : this.#pool.threads.map((t) => t.threadId);
  }

  /** Terminates every thread; calls still running fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const pool = this.#pool;
    this.#pool = null;
    if (pool !== null) await pool.destroy();
  }

  #ensurePool(): Piscina {
    if (this.#pool !== null) return this.#pool;
    // From dist the entry is JavaScript; from source (tsx, tests) it is TypeScript.
    const entryIsTs = import.meta.url.endsWith(".ts");
    const execArgv = workerExecArgv(entryIsTs);
    const pool = new Piscina({
      filename: new URL(entryIsTs ? "./workerEntry.ts" : "./workerEntry.js", import.meta.url).href,
      name: "runTask",
      minThreads: this.threads,
      maxThreads: this.threads,
      // Busy-waiting on Atomics between tasks would stall timers and promises a worker module keeps.
      atomics: "disabled",
      ...(execArgv === undefined ? {} : { execArgv }),
    });
    // A thread that dies with no call on it (an error in a module's background timer) is replaced
    // by piscina; without a listener the 'error' event would take the whole server down.
    pool.on("error", (err: unknown) => {
      usherWarning("UsherWorkerWarning", `Usher worker thread failed outside a call: ${String(err)}`);
    });
    this.#pool = pool;
    return pool;
  }
}
