/**
 * How `npx usher worker app.ts` turns an app file that calls `launch()` itself into a worker: the
 * CLI puts a marker on `globalThis` under a registry symbol (so it works whichever copy of Usher,
 * source or dist, the file imports) before importing the file; `launch()` then runs a worker
 * (no HTTP server) instead, and records it so that the CLI waits for it.
 */

/** What the CLI puts on `globalThis`. */
export interface WorkerRole {
  /** Every worker started by a `launch()` of the app file, in order. */
  readonly started: Promise<unknown>[];
}

/** The registry key the CLI sets (`Symbol.for`, shared across module copies). */
export const WORKER_ROLE = Symbol.for("usher.workerRole");

/** The marker when running as `usher worker`, else undefined. */
export function workerRole(): WorkerRole | undefined {
  return (globalThis as { [WORKER_ROLE]?: WorkerRole })[WORKER_ROLE];
}
