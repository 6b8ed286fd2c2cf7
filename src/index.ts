/**
 * Usher's public API. See README.md for the quick start and src/options.ts for every option.
 * The Redis store is the subpath `usher-ml/redis` (src/redis.ts), so that this entry loads no ioredis.
 */
import { setLauncher } from "./app/launcher.ts";
import { launchApp } from "./compose/launchApp.ts";

export * from "./app/index.ts";
export { AppError, UsherError, ERROR_CODES, isUsherError } from "./errors.ts";
export type { ErrorCode } from "./errors.ts";
export type { QueueOptions, LaunchOptions, EventQueueOptions } from "./options.ts";
export type { RunningApp } from "./app/RunningApp.ts";
export type { QueueStore } from "./queue/QueueStore.ts";
export { runWorker, type RunningWorker, type WorkerOptions } from "./compose/runWorker.ts";
export { inWorker, type InWorkerOptions, type WorkerFunction } from "./runtime/inWorker.ts";
export { transfer } from "./runtime/transfer.ts";
export type { ProgressUnit, LogLevel, QueueRequest } from "./queue/types.ts";

// The composition root serves what the app model describes: `demo.launch()` calls it.
setLauncher(launchApp);
