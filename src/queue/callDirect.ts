/**
 * One call on the no-queue path (`runDirect`): one input, one output. A stream is drained and its
 * last chunk is the output, as the direct POST routes answer once. Progress and log calls are
 * dropped: nobody listens to a direct call.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.ts";
import { batchStreamError, outputsError, timeoutError } from "./functionErrors.ts";
import type { EngineFunction, EventInfo, InvokeContext } from "./types.ts";

/** A started direct call. */
export interface DirectCall {
  /** The output; rejects with the function's error, or with TIMEOUT once `timeoutMs` passes. */
  readonly result: Promise<unknown>;
  /** Settles when the function itself has finished (later than `result` after a timeout). */
  readonly settled: Promise<unknown>;
}

/** Starts `fn` on `data`, with its timeout (which aborts the call's signal). */
export function startDirectCall(
  fn: EngineFunction,
  data: unknown,
  info: Omit<EventInfo, "eventId">,
  clock: Clock,
): DirectCall {
  const controller = new AbortController();
  const ctx: InvokeContext = {
    events: [
      {
        eventId: randomBytes(16).toString("hex"),
        sessionHash: info.sessionHash,
        rootUrl: info.rootUrl,
        meta: info.meta,
      },
    ],
    signal: controller.signal,
    progress: noop,
    log: noop,
  };
  const work = callDirect(fn, data, ctx);
  const timeoutMs = fn.timeoutMs;
  if (timeoutMs === undefined) return { result: work, settled: work };
  const result = new Promise<unknown>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      const err = timeoutError(fn, timeoutMs);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
    work.then(
      (output) => {
        clock.clearTimeout(timer);
        resolve(output);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err);
      },
    );
  });
  return { result, settled: work };
}

/** Calls `fn` for `data` and returns its single output (a stream's last chunk, or null). */
async function callDirect(fn: EngineFunction, data: unknown, ctx: InvokeContext): Promise<unknown> {
  const result = await fn.invoke([data], ctx);
  if (result.kind === "values") {
    const err = outputsError(fn, result.outputs, 1);
    if (err !== null) throw err;
    return result.outputs[0];
  }
  if (fn.batch) {
    await closeStream(result.chunks);
    throw batchStreamError(fn);
  }
  let last: unknown = null;
  for await (const chunk of result.chunks) {
    if (ctx.signal.aborted) break; // timed out: stop reading (for-await closes the iterator)
    last = chunk;
  }
  return last;
}

/** Lets a stream nobody will read clean up (an async generator runs its finally blocks). */
export async function closeStream(chunks: AsyncIterable<unknown>): Promise<void> {
  try {
    await chunks[Symbol.asyncIterator]().return?.();
  } catch {
    // Its cleanup failed; nothing more to do for a stream nobody reads.
  }
}

function noop(): void {}
