import type { QueueEngine } from "../queue/index.ts";
import type { WorkerPool } from "../runtime/index.ts";

/** A launched app. */
export interface RunningApp {
  /** Base URL, e.g. "http://127.0.0.1:7860". */
  readonly url: string;
  readonly port: number;
  /** The queue engine (for metrics and tests). */
  readonly engine: QueueEngine;
  /** The pool of worker threads that runs `inWorker()` functions (for metrics and tests). */
  readonly workers: WorkerPool;
  /** Stops admitting, tells waiting users, lets running work finish (up to `graceMs`), closes every connection. */
  close(options?: { graceMs?: number }): Promise<void>;
}
