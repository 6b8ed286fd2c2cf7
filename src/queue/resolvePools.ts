/**
 * Which pool each function runs in, and each pool's slot limit (Gradio's concurrency groups).
 *
 * - neither `concurrencyId` nor `concurrencyLimit`: the shared pool "default" of `concurrencyCount` slots;
 * - `concurrencyId`: pool `id:${concurrencyId}`; its limit is the lowest limit among the functions
 *   sharing the id (a function with an id and no limit counts as 1; null means unlimited and only
 *   counts when every function of the id says null), like Gradio lowering a group's limit;
 * - `concurrencyLimit` alone: the function's own pool `fn:${id}` with that limit (null: unlimited).
 */
import { UsherError } from "../errors.ts";
import type { FnState } from "./FnState.ts";
import { MovingAverage } from "./MovingAverage.ts";
import { PoolState } from "./PoolState.ts";
import type { EngineFunction } from "./types.ts";

/** Id of the shared pool. */
export const DEFAULT_POOL_ID = "default";

/** The pool id a function runs in. */
export function poolIdOf(fn: EngineFunction): string {
  if (fn.concurrencyId !== undefined) return `id:${fn.concurrencyId}`;
  if (fn.concurrencyLimit !== undefined) return `fn:${fn.id}`;
  return DEFAULT_POOL_ID;
}

/** Pools and per-function state for a set of functions. */
export interface ResolvedPools {
  readonly pools: ReadonlyMap<string, PoolState>;
  readonly fns: ReadonlyMap<number, FnState>;
}

/** Groups `functions` into pools (see the file comment). Throws INVALID_OPTIONS on duplicate ids. */
export function resolvePools(
  functions: readonly EngineFunction[],
  concurrencyCount: number,
  maxThreads: number,
): ResolvedPools {
  const limits = new Map<string, number | null>();
  for (const fn of functions) {
    const poolId = poolIdOf(fn);
    let limit: number | null;
    if (poolId === DEFAULT_POOL_ID) limit = concurrencyCount;
    else if (fn.concurrencyId !== undefined && fn.concurrencyLimit === undefined) limit = 1;
    else limit = fn.concurrencyLimit ?? null;
    const prev = limits.get(poolId);
    limits.set(poolId, prev === undefined ? limit : lowest(prev, limit));
  }
  const pools = new Map<string, PoolState>();
  for (const [id, limit] of limits) pools.set(id, new PoolState(id, limit, maxThreads));

  const fns = new Map<number, FnState>();
  for (const fn of functions) {
    if (fns.has(fn.id)) throw new UsherError("INVALID_OPTIONS", `Two functions have the id ${fn.id}.`);
    const pool = pools.get(poolIdOf(fn));
    if (pool === undefined) throw new UsherError("INTERNAL", `No pool for function ${fn.id}.`);
    fns.set(fn.id, {
      fn,
      pool,
      batchSize: fn.batch ? Math.max(1, fn.maxBatchSize) : 1,
      duration: new MovingAverage(fn.expectedDurationMs),
    });
  }
  return { pools, fns };
}

/** The lower of two limits, where null (unlimited) is the highest. */
function lowest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
