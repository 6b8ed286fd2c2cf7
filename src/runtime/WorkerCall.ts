/**
 * One call of a worker function, seen from the main thread: sends the task to the pool, relays
 * the worker's progress and log messages to the job, turns its result or error back into a value
 * or a thrown error, and carries the abort signal across:
 *
 * - not started yet (waiting in the pool's own queue): the task is dropped at once;
 * - running: the worker's signal is aborted (a port message, plus a shared flag that
 *   `signal.aborted` reads, for loops that never yield); if the call has not ended `abortGraceMs`
 *   later, its thread is terminated and the pool starts a fresh one.
 *
 * The returned promise (and a stream's end) settles only when the thread is free again: finished,
 * or terminated and exited. The engine holds the call's slot until then, so a stuck thread is
 * never counted as free.
 */
import { once } from "node:events";
import { MessageChannel, type Worker } from "node:worker_threads";
import type { Piscina } from "piscina";
import { UsherError, isUsherError } from "../errors.ts";
import type { InvokeContext } from "../queue/index.ts";
import type { WorkerRef } from "./inWorker.ts";
import { deserializeError, type FromWorker, type ToWorker, type WorkerTask } from "./workerMessages.ts";
import { WorkerStream, type StreamMessage } from "./WorkerStream.ts";

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };

/** Starts `ref` in `pool` with `args`; resolves to its return value, or to a {@link WorkerStream} when it streams. */
export function runWorkerCall(
  pool: Piscina,
  ref: WorkerRef,
  args: readonly unknown[],
  ctx: InvokeContext,
  abortGraceMs: number,
): Promise<unknown> {
  const { port1, port2 } = new MessageChannel();
  const abortFlag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const kill = new AbortController();
  let threadId: number | null = null;
  let outcome: Outcome | null = null;
  let stream: WorkerStream | null = null;
  let graceTimer: NodeJS.Timeout | null = null;
  let exited: Promise<unknown> | null = null;
  let terminated = false;
  let settled = false;
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => {
    resolveEnd = r;
  });
  let resolveStream!: (s: WorkerStream) => void;
  const streamed = new Promise<WorkerStream>((r) => {
    resolveStream = r;
  });

  const post = (msg: ToWorker): void => {
    try {
      port1.postMessage(msg);
    } catch {
      // The port is closed: the call already ended.
    }
  };

  port1.on("message", (msg: FromWorker) => {
    switch (msg.type) {
      case "start":
        threadId = msg.threadId;
        if (ctx.signal.aborted) onAbort();
        break;
      case "progress":
        ctx.progress(msg.units);
        break;
      case "log":
        ctx.log(msg.level, msg.message, msg.options);
        break;
      case "result":
        outcome = { ok: true, value: msg.value };
        break;
      case "error":
        outcome = { ok: false, error: deserializeError(msg.error) };
        if (stream !== null) stream.deliver({ type: "error", error: outcome.error });
        break;
      case "stream":
        stream = new WorkerStream(post, () => finished);
        resolveStream(stream);
        break;
      case "chunk":
      case "done":
        stream?.deliver(msg as StreamMessage);
        break;
      case "end":
        resolveEnd();
        break;
    }
  });

  const onAbort = (): void => {
    if (threadId === null) {
      // Still in the pool's queue: nothing ran, drop it. (Dispatched but not yet announced is a
      // window of microseconds; piscina then terminates that thread, which is also correct.)
      kill.abort(ctx.signal.reason);
      return;
    }
    if (Atomics.load(abortFlag, 0) !== 0) return;
    Atomics.store(abortFlag, 0, 1);
    const reason: unknown = ctx.signal.reason;
    const code = isUsherError(reason) ? reason.code : "CANCELLED";
    post({ type: "abort", code, message: reason instanceof Error ? reason.message : "The call was cancelled." });
    graceTimer = setTimeout(terminate, abortGraceMs);
  };

  const terminate = (): void => {
    graceTimer = null;
    if (settled) return;
    terminated = true;
    // Wait for the thread's real exit before the slot is freed: piscina answers as soon as it asked.
    const worker = (pool.threads as Worker[]).find((w) => w.threadId === threadId);
    if (worker !== undefined) exited = once(worker, "exit").catch(() => undefined);
    kill.abort(new UsherError("CANCELLED", `${ref.exportName} ignored its abort signal for ${abortGraceMs} ms; its worker thread was terminated.`));
  };

  const task: WorkerTask = { moduleUrl: ref.moduleUrl, exportName: ref.exportName, args, events: ctx.events, port: port2, abortFlag };
  const finished: Promise<Outcome> = (async (): Promise<Outcome> => {
    let runError: unknown = null;
    try {
      await pool.run(task, { transferList: [port2], signal: kill.signal });
      await ended; // messages on our port may trail piscina's answer on its own port
    } catch (err) {
      runError = err;
    }
    settled = true;
    if (graceTimer !== null) clearTimeout(graceTimer);
    ctx.signal.removeEventListener("abort", onAbort);
    if (exited !== null) await exited;
    port1.close();
    port2.close();
    if (outcome !== null) return outcome;
    if (terminated || kill.signal.aborted) return { ok: false, error: abortError(ctx, kill.signal.reason) };
    return { ok: false, error: crashError(ref, runError) };
  })();

  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener("abort", onAbort, { once: true });

  return Promise.race([
    streamed,
    finished.then((o) => {
      if (stream !== null) return stream;
      if (o.ok) return o.value;
      throw o.error;
    }),
  ]);
}

function abortError(ctx: InvokeContext, killReason: unknown): Error {
  const reason: unknown = ctx.signal.reason ?? killReason;
  return reason instanceof Error ? reason : new UsherError("CANCELLED");
}

/** The thread died under the call (process.exit, an uncaught error, out of memory) or the task could not be sent. */
function crashError(ref: WorkerRef, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === "DataCloneError") {
    return new Error(`The arguments of ${ref.exportName} cannot be sent to a worker thread: ${message}`, { cause: err });
  }
  return new Error(`The worker thread running ${ref.exportName} stopped: ${message}`, { cause: err });
}
