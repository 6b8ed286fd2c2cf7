/**
 * What a server under test must run: the scenario's function and queue settings. The parent
 * process sends it to the child (floor or Usher) as one JSON argument, so both run the same thing.
 */

/** The function a scenario serves (see `scenarioFunctions.ts` for the code behind each kind). */
export type FunctionSpec =
  /** Returns its input at once (synchronous). */
  | { readonly kind: "identity" }
  /** Waits `sleepMs` on a timer, then returns its input. */
  | { readonly kind: "sleep"; readonly sleepMs: number }
  /** Gradio batch convention: takes a list, waits `baseMs + perItemMs × n`, returns `[list]`. */
  | { readonly kind: "batch"; readonly baseMs: number; readonly perItemMs: number; readonly maxBatchSize: number }
  /** Async generator: `tokens` times, waits `intervalMs` and yields the text so far. */
  | { readonly kind: "stream"; readonly tokens: number; readonly intervalMs: number };

/** A server under test: function plus queue settings. */
export interface ServerSpec {
  readonly fn: FunctionSpec;
  /** Usher's `queue({ concurrencyCount })`. */
  readonly concurrencyCount: number;
  /** Usher's `queue({ maxSize })`; null: no limit. */
  readonly maxSize: number | null;
  /** Usher's `queue({ statusUpdateMs })`; undefined keeps Usher's default. */
  readonly statusUpdateMs?: number | undefined;
  /** Usher's ETA seed before the first run completes (`Interface({ expectedDurationMs })`). */
  readonly expectedDurationMs?: number | undefined;
  /**
   * When true the floor also honours `concurrencyCount` and `maxSize`, with a bare FIFO semaphore
   * (no ranks, no ETA). When false (default) the floor runs every request at once.
   */
  readonly floorLimitsConcurrency?: boolean | undefined;
  /**
   * Log the input of every function call, in call order, inside the server process; the child
   * prints the log when it stops. Gives the FIFO check the server's true start order.
   */
  readonly recordCalls?: boolean | undefined;
  /** Usher's `queue({ fairness })`; undefined keeps Usher's default. The floor ignores it. */
  readonly fairness?: boolean | undefined;
  /** Usher's `queue({ maxWaitMs })`; undefined keeps Usher's default. The floor ignores it. */
  readonly maxWaitMs?: number | null | undefined;
  /** Usher's `queue({ maxPerClient })`; undefined keeps Usher's default. The floor ignores it. */
  readonly maxPerClient?: number | null | undefined;
  /** Usher's `launch({ trustProxy })`; undefined keeps Usher's default. The floor ignores it. */
  readonly trustProxy?: false | readonly string[] | undefined;
}

/** Parses a {@link ServerSpec} from the JSON the parent passed; throws a TypeError on a bad shape. */
export function parseServerSpec(json: string | undefined): ServerSpec {
  if (json === undefined) throw new TypeError("Expected a ServerSpec JSON argument, got nothing");
  const spec = JSON.parse(json) as Partial<ServerSpec> | null;
  if (spec === null || typeof spec !== "object") throw new TypeError(`Expected a ServerSpec object, got ${json}`);
  const kind = (spec.fn as { kind?: unknown } | undefined)?.kind;
  if (kind !== "identity" && kind !== "sleep" && kind !== "batch" && kind !== "stream") {
    throw new TypeError(`Expected fn.kind to be identity|sleep|batch|stream, got ${String(kind)}`);
  }
  if (typeof spec.concurrencyCount !== "number" || spec.concurrencyCount < 1) {
    throw new TypeError(`Expected concurrencyCount ≥ 1, got ${String(spec.concurrencyCount)}`);
  }
  return spec as ServerSpec;
}
