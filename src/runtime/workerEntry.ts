/**
 * The code piscina runs in every worker thread: imports the worker function's module (once per
 * thread: Node's module cache keeps it, and with it any model loaded at module level), runs its
 * optional `setup()` once, then calls the function with the arguments and an EventContext whose
 * signal, progress and log helpers talk to the main thread over the call's own port.
 */
import { setPriority } from "node:os";
import { threadId } from "node:worker_threads";
import { createEventContext } from "./EventContext.ts";
import { systemClock } from "../clock.ts";
import { UsherError } from "../errors.ts";
import type { ErrorCode } from "../errors.ts";
import type { InvokeContext, LogLevel, LogOptions, ProgressUnit } from "../queue/index.ts";
import { unwrapTransfer } from "./transfer.ts";
import { serializeError, type FromWorker, type ToWorker, type WorkerTask } from "./workerMessages.ts";

/**
 * OS priority (nice) of worker threads. When the CPU-bound calls keep every core busy, the event
 * loop's thread must still get a core the moment a request arrives; a lower priority for the
 * workers makes the scheduler hand it over at once. On Linux nice is per thread (this call affects
 * only this worker); elsewhere it would lower the whole process, so it is left alone.
 */
const WORKER_NICE = 10;
if (process.platform === "linux") {
  try {
    setPriority(WORKER_NICE);
  } catch {
    // Not permitted in this container: run at normal priority.
  }
}

/** Least time between two progress messages sent from a worker, ms: a tight loop must not flood the port. */
const PROGRESS_SEND_MS = 20;

type AnyFn = (...args: unknown[]) => unknown;

/** Per module URL: its namespace once imported and set up. */
const modules = new Map<string, Promise<Record<string, unknown>>>();

const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted")?.get;
const reasonGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, "reason")?.get;

/** Runs one call. Never rejects for the function's own errors: they travel as `error` messages. */
export async function runTask(task: WorkerTask): Promise<void> {
  const { port } = task;
  const send = (msg: FromWorker, transferList: readonly Transferable[] = []): void =>
    port.postMessage(msg, transferList as Transferable[]);
  const controller = new AbortController();
  const inbox = new Inbox();
  port.on("message", (msg: ToWorker) => {
    if (msg.type === "abort") {
      abort(controller, msg.code, msg.message);
      // A stream waiting for its reader's next pull would wait forever: close it instead.
      inbox.push({ type: "return" });
    } else inbox.push(msg);
  });
  watchAbortFlag(controller, task.abortFlag);
  send({ type: "start", threadId });
  const progress = new ProgressSender(send);
  const ctx: InvokeContext = {
    events: task.events,
    signal: controller.signal,
    progress: (units) => progress.update(units),
    log: (level: LogLevel, message: string, options?: LogOptions) => {
      progress.flush();
      send({ type: "log", level, message, options: options === undefined ? undefined : { ...options } });
    },
  };
  try {
    const fn = await loadFunction(task.moduleUrl, task.exportName, send);
    const result = await fn(...task.args, createEventContext(ctx));
    if (isStream(result)) {
      progress.flush();
      send({ type: "stream" });
      await streamOut(result, inbox, send, progress);
    } else {
      progress.flush();
      sendValue("result", result, send);
    }
  } catch (err) {
    progress.flush();
    send({ type: "error", error: serializeError(err) });
  } finally {
    send({ type: "end" });
    port.close();
  }
}

/**
 * Imports the module (and runs its `setup()`) once per thread; returns the export to call. The
 * call that loads says so (`loading`, then `loaded` with the time it took): the engine reports the
 * job as loading and counts the load in the ETAs of the users behind it.
 */
async function loadFunction(moduleUrl: string, exportName: string, send: (msg: FromWorker) => void): Promise<AnyFn> {
  let loading = modules.get(moduleUrl);
  if (loading === undefined) {
    send({ type: "loading" });
    const startMs = systemClock.now();
    loading = (async () => {
      const ns = await importModule(moduleUrl);
      // setup() runs before the first call of this thread: load the model here or at module level.
      if (typeof ns["setup"] === "function") await (ns["setup"] as AnyFn)();
      return ns;
    })();
    modules.set(moduleUrl, loading);
    // A failed import or setup is retried by the next call rather than cached forever.
    loading.then(
      () => send({ type: "loaded", loadMs: systemClock.now() - startMs, ok: true }),
      () => {
        modules.delete(moduleUrl);
        send({ type: "loaded", loadMs: systemClock.now() - startMs, ok: false });
      },
    );
  }
  const ns = await loading;
  const fn = ns[exportName];
  if (typeof fn !== "function") {
    throw new UsherError(
      "INTERNAL",
      `${moduleUrl} has no exported function "${exportName}" (exports: ${Object.keys(ns).join(", ") || "none"}).`,
    );
  }
  return fn as AnyFn;
}

/**
 * Imports a worker module. On Node 20 a worker thread does not inherit the main thread's module
 * hooks (`--import tsx` registers them for the main thread only), so tsx's loader is registered
 * in this thread before the first TypeScript module is imported. (Before, not after a failure:
 * Node caches a failed import of a URL.)
 */
async function importModule(moduleUrl: string): Promise<Record<string, unknown>> {
  if (/\.[cm]?tsx?$/.test(new URL(moduleUrl).pathname)) {
    tsxRegistered ??= import("tsx/esm/api").then(
      (api) => {
        api.register();
      },
      (err: unknown) => {
        throw new UsherError(
          "INTERNAL",
          `Loading the TypeScript module ${moduleUrl} in a worker thread needs tsx (npm install tsx): ${String(err)}`,
        );
      },
    );
    await tsxRegistered;
  }
  return (await import(moduleUrl)) as Record<string, unknown>;
}

let tsxRegistered: Promise<void> | undefined;

/** Sends a stream's chunks one per `next` from the main thread, so that the generator never runs ahead of its reader. */
async function streamOut(
  source: AsyncIterable<unknown> | Iterable<unknown>,
  inbox: Inbox,
  send: (msg: FromWorker, list?: readonly Transferable[]) => void,
  progress: ProgressSender,
): Promise<void> {
  const it =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : toAsync((source as Iterable<unknown>)[Symbol.iterator]());
  for (;;) {
    const msg = await inbox.take();
    if (msg.type === "return") {
      await it.return?.();
      send({ type: "done" });
      return;
    }
    const step = await it.next();
    progress.flush();
    if (step.done === true) {
      send({ type: "done" });
      return;
    }
    sendValue("chunk", step.value, send);
  }
}

function sendValue(
  type: "result" | "chunk",
  raw: unknown,
  send: (msg: FromWorker, list?: readonly Transferable[]) => void,
): void {
  const { value, list } = unwrapTransfer(raw);
  try {
    send({ type, value }, list);
  } catch (err) {
    // A function, a class with private fields, a socket...: say which call returned it.
    throw new UsherError(
      "OUTPUT_SHAPE",
      `A worker function returned a value that cannot be sent to the main thread: ${String((err as Error).message ?? err)}`,
    );
  }
}

/**
 * Makes `signal.aborted` (and `throwIfAborted()`) read the shared abort flag, so that a CPU-bound
 * loop that checks the signal sees a cancel at once, although the port's abort message is only
 * delivered when the loop yields to the event loop.
 */
function watchAbortFlag(controller: AbortController, flag: Int32Array): void {
  const signal = controller.signal;
  const poll = (): void => {
    if (!(abortedGetter?.call(signal) as boolean) && Atomics.load(flag, 0) !== 0)
      abort(controller, "CANCELLED", "The call was cancelled.");
  };
  Object.defineProperty(signal, "aborted", { get: () => (poll(), abortedGetter?.call(signal) as boolean) });
  Object.defineProperty(signal, "reason", { get: () => (poll(), reasonGetter?.call(signal) as unknown) });
  const throwIfAborted = signal.throwIfAborted.bind(signal);
  Object.defineProperty(signal, "throwIfAborted", { value: () => (poll(), throwIfAborted()) });
}

function abort(controller: AbortController, code: ErrorCode, message: string): void {
  if (abortedGetter?.call(controller.signal) === true) return;
  controller.abort(new UsherError(code, message));
}

/** Control messages of a stream, taken in order. */
class Inbox {
  readonly #queue: ToWorker[] = [];
  #waiter: ((msg: ToWorker) => void) | null = null;

  push(msg: ToWorker): void {
    const w = this.#waiter;
    if (w !== null) {
      this.#waiter = null;
      w(msg);
    } else this.#queue.push(msg);
  }

  take(): Promise<ToWorker> {
    const next = this.#queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }
}

/** Throttles progress messages; the latest value is kept and sent before anything else leaves the worker. */
class ProgressSender {
  readonly #send: (msg: FromWorker) => void;
  #pending: readonly ProgressUnit[] | null = null;
  #lastSentMs = Number.NEGATIVE_INFINITY;

  constructor(send: (msg: FromWorker) => void) {
    this.#send = send;
  }

  update(units: readonly ProgressUnit[]): void {
    const now = systemClock.now();
    if (now - this.#lastSentMs >= PROGRESS_SEND_MS) {
      this.#pending = null;
      this.#lastSentMs = now;
      this.#send({ type: "progress", units });
    } else {
      this.#pending = units;
    }
  }

  flush(): void {
    const units = this.#pending;
    if (units === null) return;
    this.#pending = null;
    this.#lastSentMs = systemClock.now();
    this.#send({ type: "progress", units });
  }
}

function isStream(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  if (typeof value !== "object" || value === null) return false;
  if (Symbol.asyncIterator in value) return true;
  return Object.prototype.toString.call(value) === "[object Generator]";
}

async function* toAsync(it: Iterator<unknown>): AsyncGenerator<unknown> {
  try {
    for (let step = it.next(); step.done !== true; step = it.next()) yield step.value;
  } finally {
    it.return?.();
  }
}

type Transferable = import("node:worker_threads").Transferable;
