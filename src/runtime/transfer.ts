/**
 * `transfer(value, list)`: return it from a worker function to move ArrayBuffers to the main
 * thread instead of copying them. Moving detaches them in the worker, so it is opt-in: a module
 * that caches a buffer it returns must not move it.
 */
import type { Transferable } from "node:worker_threads";

// Symbol.for: the worker module may import another copy of this file (from dist or from src).
const TRANSFER = Symbol.for("usher.transfer");

interface TransferBox {
  readonly [TRANSFER]: { readonly value: unknown; readonly list: readonly Transferable[] };
}

/**
 * Marks `value` so that the ArrayBuffers (or MessagePorts) in `list` are moved, not copied, when a
 * worker function returns it (or yields it, in a stream). Typed as `value` itself, so that
 * `return transfer(pixels, [pixels.buffer])` keeps the function's return type.
 */
export function transfer<T>(value: T, list: readonly Transferable[]): T {
  const box: TransferBox = { [TRANSFER]: { value, list } };
  return box as unknown as T;
}

/** The value and what to move, for a value that may have been wrapped by {@link transfer}. */
export function unwrapTransfer(value: unknown): { value: unknown; list: Transferable[] } {
  if (typeof value === "object" && value !== null && TRANSFER in value) {
    const inner = (value as TransferBox)[TRANSFER];
    return { value: inner.value, list: [...inner.list] };
  }
  return { value, list: [] };
}
