/**
 * What crosses the boundary between the main thread and a worker thread for one call. Each call
 * gets its own MessageChannel: messages on one port keep their order, so every progress and log
 * message reaches the main thread before the call's result, and the result before `end`.
 */
import type { MessagePort } from "node:worker_threads";
import { AppError, ERROR_CODES, UsherError, type ErrorCode } from "../errors.ts";
import type { EventInfo, LogLevel, LogOptions, ProgressUnit } from "../queue/index.ts";

/** The task piscina hands to the worker entry. */
export interface WorkerTask {
  readonly moduleUrl: string;
  readonly exportName: string;
  /** The preprocessed arguments (lists, for a batched function), without the context. */
  readonly args: readonly unknown[];
  readonly events: readonly EventInfo[];
  /** The worker's end of the call's channel (transferred). */
  readonly port: MessagePort;
  /** Set to 1 by the main thread on abort: lets `signal.aborted` turn true inside a busy loop that never yields. */
  readonly abortFlag: Int32Array;
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: "abort"; readonly code: ErrorCode; readonly message: string }
  /** Pull the next chunk of a stream. */
  | { readonly type: "next" }
  /** Close the stream (its generator's finally blocks run). */
  | { readonly type: "return" };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: "start"; readonly threadId: number }
  /** This thread imports the module and runs its `setup()` first (its first call of the module). */
  | { readonly type: "loading" }
  /** The load ended after `loadMs`; `ok` false: it failed (the call fails, the next one loads again). */
  | { readonly type: "loaded"; readonly loadMs: number; readonly ok: boolean }
  | { readonly type: "progress"; readonly units: readonly ProgressUnit[] }
  | {
      readonly type: "log";
      readonly level: LogLevel;
      readonly message: string;
      readonly options: LogOptions | undefined;
    }
  | { readonly type: "result"; readonly value: unknown }
  /** The function returned a stream; chunks follow, one per `next`. */
  | { readonly type: "stream" }
  | { readonly type: "chunk"; readonly value: unknown }
  | { readonly type: "done" }
  | { readonly type: "error"; readonly error: SerializedError }
  /** Last message of the call. */
  | { readonly type: "end" };

/** An error as it crosses threads: structured clone keeps only name, message and stack of an Error. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Set for an UsherError/AppError (recognised by shape: the worker may load another copy of the class). */
  readonly code: ErrorCode | undefined;
  readonly title: string | undefined;
  readonly durationMs: number | null | undefined;
  readonly visible: boolean | undefined;
}

/** Flattens what a worker function threw. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const e = err as Error & Partial<Record<"code" | "title" | "durationMs" | "visible", unknown>>;
    const code =
      typeof e.code === "string" &&
      Object.hasOwn(ERROR_CODES, e.code) &&
      (e.name === "AppError" || e.name === "UsherError")
        ? (e.code as ErrorCode)
        : undefined;
    return {
      name: e.name,
      message: e.message,
      stack: e.stack,
      code,
      title: typeof e.title === "string" ? e.title : undefined,
      durationMs: typeof e.durationMs === "number" || e.durationMs === null ? e.durationMs : undefined,
      visible: typeof e.visible === "boolean" ? e.visible : undefined,
    };
  }
  return {
    name: "Error",
    message: String(err),
    stack: undefined,
    code: undefined,
    title: undefined,
    durationMs: undefined,
    visible: undefined,
  };
}

/** Rebuilds a thrown error on the main thread: an AppError stays an AppError (message and title shown to the user). */
export function deserializeError(e: SerializedError): Error {
  let err: Error;
  if (e.code === "APP_ERROR") {
    err = new AppError(e.message, {
      ...(e.title === undefined ? {} : { title: e.title }),
      ...(e.durationMs === undefined ? {} : { durationMs: e.durationMs }),
      ...(e.visible === undefined ? {} : { visible: e.visible }),
    });
  } else if (e.code !== undefined) {
    err = new UsherError(e.code, e.message, {
      ...(e.title === undefined ? {} : { title: e.title }),
      ...(e.durationMs === undefined ? {} : { durationMs: e.durationMs }),
      ...(e.visible === undefined ? {} : { visible: e.visible }),
    });
  } else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}
