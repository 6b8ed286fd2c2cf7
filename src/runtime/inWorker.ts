/**
 * `inWorker(module, exportName)`: declares an event function that runs in the app's pool of worker
 * threads instead of on the event loop. The function is named by its module and export, not passed
 * as a value, because a function cannot cross a thread boundary: each worker thread imports the
 * module itself (once per thread, so module-level state such as a loaded model is kept).
 */
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { UsherError } from "../errors.ts";

/** Where a worker function lives: a module URL and the name of its export. */
export interface WorkerRef {
  /** `file:` URL of the module (TypeScript or JavaScript). */
  readonly moduleUrl: string;
  /** Name of the export; "default" for the default export. */
  readonly exportName: string;
  /** Declared to stream (an async generator): the page and `/config` treat it as a generator. */
  readonly stream: boolean;
  /** Declared expected time of the module's load in a thread (import and `setup()`), ms, or null. */
  readonly loadMs: number | null;
}

/** Options of {@link inWorker}. */
export interface InWorkerOptions {
  /**
   * The export is a (async) generator function whose yields stream to the user. Only needed so
   * that `/config` announces a generator before the module was ever loaded; a worker function that
   * returns an async iterable streams either way. Default false.
   */
  stream?: boolean;
  /**
   * Expected time the module takes to load in a thread (its import and `setup()`: loading the
   * model), ms. While a thread loads, the users behind it see the load in their ETA and the user
   * whose call waits for it sees "loading model, ~N s". Only a first guess: once a load has been
   * measured in this process, the measured mean is used. Default: none (until measured, a load
   * adds nothing to ETAs and the page shows "loading model").
   */
  loadMs?: number;
}

/** An event function that runs in a worker thread; pass it as `fn` of an Interface or listener. */
export type WorkerFunction = ((...args: any[]) => never) & { readonly [WORKER_REF]: WorkerRef };

const WORKER_REF: unique symbol = Symbol("usher.workerRef");

/**
 * Declares that the event function is export `exportName` of `module`, to be run in a worker
 * thread of the app's pool (`launch({ workerThreads })`). Inputs are preprocessed and outputs
 * postprocessed on the main thread as usual; the arguments and the return value cross the thread
 * boundary by structured clone. The function's last argument is a {@link WorkerContext}-like
 * EventContext: `signal`, `progress`, `info`/`warning`/`success` work as inline.
 *
 * ```ts
 * new Interface({ fn: inWorker(new URL("./model.ts", import.meta.url), "predict"), inputs: "text", outputs: "text" });
 * ```
 *
 * @param module the module: a `file:` URL (best: `new URL("./model.ts", import.meta.url)`), or an absolute path.
 * @param exportName the export to call. Default "default".
 */
export function inWorker(module: URL | string, exportName = "default", options: InWorkerOptions = {}): WorkerFunction {
  const moduleUrl = toModuleUrl(module);
  if (typeof exportName !== "string" || exportName === "") {
    throw new UsherError("INVALID_OPTIONS", "inWorker(): exportName must be a non-empty string.");
  }
  const loadMs = options.loadMs;
  if (loadMs !== undefined && (typeof loadMs !== "number" || !Number.isFinite(loadMs) || loadMs < 0)) {
    throw new UsherError("INVALID_OPTIONS", `inWorker(): loadMs must be a finite number ≥ 0, got ${String(loadMs)}.`);
  }
  const ref: WorkerRef = { moduleUrl, exportName, stream: options.stream === true, loadMs: loadMs ?? null };
  // The app model reads a function's kind (generator or not) and name from the value it is given;
  // this stand-in gives both. It is never called: BuiltFunction sends the call to the pool.
  const standIn = ref.stream
    ? // eslint-disable-next-line require-yield -- never called: it only has to be a generator function
      async function* () {
        throw notCallable(ref);
      }
    : function () {
        throw notCallable(ref);
      };
  Object.defineProperty(standIn, "name", { value: exportName === "default" ? "predict" : exportName });
  Object.defineProperty(standIn, WORKER_REF, { value: ref });
  return standIn as unknown as WorkerFunction;
}

/** The {@link WorkerRef} of a function made by {@link inWorker}, or null for an ordinary function. */
export function workerRefOf(fn: unknown): WorkerRef | null {
  if (typeof fn !== "function") return null;
  const ref = (fn as Partial<Record<typeof WORKER_REF, WorkerRef>>)[WORKER_REF];
  return ref ?? null;
}

function toModuleUrl(module: URL | string): string {
  if (module instanceof URL) {
    if (module.protocol !== "file:")
      throw new UsherError("INVALID_OPTIONS", `inWorker(): the module must be a file: URL, got ${module.href}.`);
    return module.href;
  }
  if (typeof module === "string" && module.startsWith("file:")) return new URL(module).href;
  if (typeof module === "string" && isAbsolute(module)) return pathToFileURL(module).href;
  throw new UsherError(
    "INVALID_OPTIONS",
    `inWorker(): the module must be a file: URL or an absolute path (use new URL("./model.ts", import.meta.url)), got ${String(module)}.`,
  );
}

function notCallable(ref: WorkerRef): UsherError {
  return new UsherError(
    "INTERNAL",
    `${ref.exportName} of ${ref.moduleUrl} runs in a worker thread and cannot be called directly.`,
  );
}
