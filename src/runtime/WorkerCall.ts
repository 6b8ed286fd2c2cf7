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
import { MessageChannel, type MessagePort, type Worker } from "node:worker_threads";
import type { Piscina } from "piscina";
import { systemClock, type Clock, type TimerHandle } from "../clock.ts";
import { UsherError, isUsherError } from "../errors.ts";
import type { InvokeContext } from "../queue/index.ts";
import type { WorkerRef } from "./inWorker.ts";
import type { LoadTimes } from "./LoadTimes.ts";
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
  clock: Clock = systemClock,
  loads: LoadTimes | null = null,
): Promise<unknown> {
  return new WorkerCall(pool, ref, ctx, abortGraceMs, clock, loads).start(args);
}

/** One call of a worker function and its state, from the task's start to the thread's release. See the file comment. */
export class WorkerCall {
  readonly #pool: Piscina;
  readonly #ref: WorkerRef;
  readonly #ctx: InvokeContext;
  readonly #abortGraceMs: number;
  readonly #clock: Clock;
  /** Where measured load times go and expected ones come from (null: loads are not reported). */
  readonly #loads: LoadTimes | null;
  /** The thread is loading the module for this call: told to the job, which must hear its end too. */
  #loading = false;
  /** Ours; the worker gets `port2` with the task. */
  readonly #port1: MessagePort;
  readonly #port2: MessagePort;
  /** Set to 1 on abort: the worker's `signal.aborted` reads it, for loops that never yield. */
  readonly #abortFlag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  /** Drops the task from piscina's queue, or terminates its thread once it runs. */
  readonly #kill = new AbortController();
  /** The thread running the task, once the worker said `start`. */
  #threadId: number | null = null;
  #outcome: Outcome | null = null;
  #stream: WorkerStream | null = null;
  #graceTimer: TimerHandle | null = null;
  /** Resolves when a terminated thread has really exited. */
  #exited: Promise<unknown> | null = null;
  #terminated = false;
  #settled = false;
  #resolveEnd!: () => void;
  readonly #ended = new Promise<void>((r) => {
    this.#resolveEnd = r;
  });
  #resolveStream!: (s: WorkerStream) => void;
  readonly #streamed = new Promise<WorkerStream>((r) => {
    this.#resolveStream = r;
  });
  /** Settles when the thread is free again (finished, or terminated and exited). */
  #finished: Promise<Outcome> | null = null;

  constructor(
    pool: Piscina,
    ref: WorkerRef,
    ctx: InvokeContext,
    abortGraceMs: number,
    clock: Clock = systemClock,
    loads: LoadTimes | null = null,
  ) {
    this.#pool = pool;
    this.#ref = ref;
    this.#ctx = ctx;
    this.#abortGraceMs = abortGraceMs;
    this.#clock = clock;
    this.#loads = loads;
    const { port1, port2 } = new MessageChannel();
    this.#port1 = port1;
    this.#port2 = port2;
  }

  /** Sends the task; resolves to its return value, or to its stream as soon as it starts streaming. */
  start(args: readonly unknown[]): Promise<unknown> {
    const ctx = this.#ctx;
    this.#port1.on("message", (msg: FromWorker) => this.#onMessage(msg));
    const ref = this.#ref;
    const task: WorkerTask = {
      moduleUrl: ref.moduleUrl,
      exportName: ref.exportName,
      args,
      events: ctx.events,
      port: this.#port2,
      abortFlag: this.#abortFlag,
    };
    const finished = this.#run(task);
    this.#finished = finished;
    if (ctx.signal.aborted) this.#onAbort();
    else ctx.signal.addEventListener("abort", this.#onAbort, { once: true });
    return Promise.race([
      this.#streamed,
      finished.then((o) => {
        if (this.#stream !== null) return this.#stream;
        if (o.ok) return o.value;
        throw o.error;
      }),
    ]);
  }

  #post = (msg: ToWorker): void => {
    try {
      this.#port1.postMessage(msg);
    } catch {
      // The port is closed: the call already ended.
    }
  };

  #onMessage(msg: FromWorker): void {
    switch (msg.type) {
      case "start":
        this.#threadId = msg.threadId;
        if (this.#ctx.signal.aborted) this.#onAbort();
        break;
      case "loading":
        if (this.#loads === null) break;
        this.#loading = true;
        this.#ctx.loading?.(this.#loads.expectedMs(this.#ref));
        break;
      case "loaded":
        if (msg.ok) this.#loads?.record(this.#ref, msg.loadMs);
        this.#endLoading();
        break;
      case "progress":
        this.#ctx.progress(msg.units);
        break;
      case "log":
        this.#ctx.log(msg.level, msg.message, msg.options);
        break;
      case "result":
        this.#outcome = { ok: true, value: msg.value };
        break;
      case "error":
        this.#outcome = { ok: false, error: deserializeError(msg.error) };
        if (this.#stream !== null) this.#stream.deliver({ type: "error", error: this.#outcome.error });
        break;
      case "stream":
        this.#stream = new WorkerStream(this.#post, () => this.#finished as Promise<Outcome>);
        this.#resolveStream(this.#stream);
        break;
      case "chunk":
      case "done":
        this.#stream?.deliver(msg as StreamMessage);
        break;
      case "end":
        this.#resolveEnd();
        break;
    }
  }

  /** Tells the job its thread's load is over (done, failed, or the thread is gone). */
  #endLoading(): void {
    if (!this.#loading) return;
    this.#loading = false;
    this.#ctx.loaded?.();
  }

  /** The call's signal aborted: drop the task, or ask the worker to stop and start the grace timer. */
  #onAbort = (): void => {
    const ctx = this.#ctx;
    if (this.#threadId === null) {
      // Still in the pool's queue: nothing ran, drop it. (Dispatched but not yet announced is a
      // window of microseconds; piscina then terminates that thread, which is also correct.)
      this.#kill.abort(ctx.signal.reason);
      return;
    }
    if (Atomics.load(this.#abortFlag, 0) !== 0) return;
    Atomics.store(this.#abortFlag, 0, 1);
    const reason: unknown = ctx.signal.reason;
    const code = isUsherError(reason) ? reason.code : "CANCELLED";
    this.#post({ type: "abort", code, message: reason instanceof Error ? reason.message : "The call was cancelled." });
    this.#graceTimer = this.#clock.setTimeout(() => this.#terminate(), this.#abortGraceMs);
  };

  /** The grace after an abort ran out: terminate the thread (the pool starts a fresh one). */
  #terminate(): void {
    this.#graceTimer = null;
    if (this.#settled) return;
    this.#terminated = true;
    // Wait for the thread's real exit before the slot is freed: piscina answers as soon as it asked.
    const worker = (this.#pool.threads as Worker[]).find((w) => w.threadId === this.#threadId);
    if (worker !== undefined) this.#exited = once(worker, "exit").catch(() => undefined);
    const { exportName } = this.#ref;
    const message = `${exportName} ignored its abort signal for ${this.#abortGraceMs} ms; its worker thread was terminated.`;
    this.#kill.abort(new UsherError("CANCELLED", message));
  }

  /** Runs the task to the thread's release; resolves to what the call produced (never rejects). */
  async #run(task: WorkerTask): Promise<Outcome> {
    let runError: unknown = null;
    try {
      await this.#pool.run(task, { transferList: [this.#port2], signal: this.#kill.signal });
      await this.#ended; // messages on our port may trail piscina's answer on its own port
    } catch (err) {
      runError = err;
    }
    this.#settled = true;
    // A thread that died (or was terminated) in setup() never said `loaded`.
    this.#endLoading();
    if (this.#graceTimer !== null) this.#clock.clearTimeout(this.#graceTimer);
    this.#ctx.signal.removeEventListener("abort", this.#onAbort);
    if (this.#exited !== null) await this.#exited;
    this.#port1.close();
    this.#port2.close();
    if (this.#outcome !== null) return this.#outcome;
    if (this.#terminated || this.#kill.signal.aborted)
      return { ok: false, error: abortError(this.#ctx, this.#kill.signal.reason) };
    return { ok: false, error: crashError(this.#ref, runError) };
  }
}

function abortError(ctx: InvokeContext, killReason: unknown): Error {
  const reason: unknown = ctx.signal.reason ?? killReason;
  return reason instanceof Error ? reason : new UsherError("CANCELLED");
}

/** The thread died under the call (process.exit, an uncaught error, out of memory) or the task could not be sent. */
function crashError(ref: WorkerRef, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === "DataCloneError") {
    return new Error(`The arguments of ${ref.exportName} cannot be sent to a worker thread: ${message}`, {
      cause: err,
    });
  }
  return new Error(`The worker thread running ${ref.exportName} stopped: ${message}`, { cause: err });
}
