/**
 * The face of src/queue/: what other folders use of it. Other folders import only this file (the
 * depcheck rule `through-the-face`); this folder's own files import their siblings directly, never
 * this file. See docs/architecture.md.
 */
export type { EventBus } from "./EventBus.ts";
export type { ClusteredStore, PoolSnapshot, QueueCluster } from "./QueueCluster.ts";
export { QueueEngine } from "./QueueEngine.ts";
export {
  agedAtMs,
  clientKeyOf,
  FIFO_POLICY,
  type Claim,
  type ClaimRequest,
  type EnqueueResult,
  type ImmediateQueueStore,
  type QueuePolicy,
  type QueueStore,
  type StoreChange,
  type StoredJob,
} from "./QueueStore.ts";
export { ERROR_TOAST_MS } from "./toErrorPayload.ts";
export {
  TERMINAL_TYPES,
  type CancelReason,
  type EngineEvent,
  type EngineFunction,
  type EventInfo,
  type InvokeContext,
  type InvokeResult,
  type LogLevel,
  type LogOptions,
  type ProgressUnit,
  type QueueRequest,
} from "./types.ts";
