/**
 * The face of src/runtime/: what other folders use of it. Other folders import only this file (the
 * depcheck rule `through-the-face`); this folder's own files import their siblings directly, never
 * this file. See docs/architecture.md.
 */
export { createEventContext, type EventContext } from "./EventContext.ts";
export { WorkerPool } from "./WorkerPool.ts";
export { workerRefOf } from "./inWorker.ts";
