import type { MovingAverage } from "./MovingAverage.ts";
import type { PoolState } from "./PoolState.ts";
import type { EngineFunction } from "./types.ts";

/** What the engine keeps per function: its pool, batch size and call duration average. */
export interface FnState {
  readonly fn: EngineFunction;
  readonly pool: PoolState;
  /** Events per call: `maxBatchSize` for a batching function, else 1. */
  readonly batchSize: number;
  readonly duration: MovingAverage;
}
