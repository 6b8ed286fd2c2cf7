/**
 * The errors Usher raises about a function's behaviour. Their messages are written for the user
 * and always shown (see toErrorPayload).
 */
import { UsherError } from "../errors.ts";
import type { EngineFunction } from "./types.ts";

/**
 * BATCH_SHAPE (batching function) or OUTPUT_SHAPE (other) when `outputs` is not a list of exactly
 * `inputCount` values; null when it is.
 */
export function outputsError(fn: EngineFunction, outputs: unknown, inputCount: number): UsherError | null {
  if (Array.isArray(outputs) && outputs.length === inputCount) return null;
  const got = Array.isArray(outputs) ? `${outputs.length} outputs` : "no list of outputs";
  const inputs = inputCount === 1 ? "1 input" : `${inputCount} inputs`;
  return fn.batch
    ? new UsherError("BATCH_SHAPE", `Batched function ${fn.name} returned ${got} for ${inputs}.`)
    : new UsherError("OUTPUT_SHAPE", `Function ${fn.name} returned ${got} for ${inputs}.`);
}

/** A batching function returned a stream: it must return one output per input instead. */
export function batchStreamError(fn: EngineFunction): UsherError {
  return new UsherError(
    "BATCH_SHAPE",
    `Batched function ${fn.name} returned a stream; a batched function must return one output per input.`,
  );
}

/** A call ran past the function's `timeoutMs`. */
export function timeoutError(fn: EngineFunction, timeoutMs: number): UsherError {
  return new UsherError("TIMEOUT", `Function ${fn.name} timed out after ${timeoutMs} ms.`);
}
