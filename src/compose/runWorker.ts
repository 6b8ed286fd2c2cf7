/**
 * `runWorker(app, { store })`: a process that runs an app's queued jobs without serving HTTP. It
 * claims work from a store shared with the front processes (Redis), runs the functions, and
 * publishes every event (estimation aside) to the session it belongs to, wherever its stream is.
 * Start as many as you like, on any machine: pool limits and FIFO order stay global.
 */
import { queuePolicy } from "./queuePolicy.ts";
import type { Buildable } from "../app/index.ts";
import { UsherError } from "../errors.ts";
import { resolveLaunchOptions, resolveQueueOptions, type QueueOptions } from "../options.ts";
import { QueueEngine } from "../queue/index.ts";
import { WorkerPool } from "../runtime/index.ts";
import { prepareSharedQueue } from "./prepareSharedQueue.ts";
import { handleSignals } from "./shutdown.ts";
import type { QueueStore } from "../queue/index.ts";
import { isSharedStore } from "../store/index.ts";

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  /** The shared store. Default: the app's `queue({ store })`. */
  store?: QueueStore;
  /** Most jobs (and `runDirect` calls) this process runs at once. Default 40. */
  maxThreads?: number;
  /** Show the message of any error to users, not only of AppError. Default false. */
  showError?: boolean;
  /** Local folder for files (a cache of the shared ones). Default `<tmpdir>/usher`. */
  cacheDir?: string;
  /** Extra folders or files a function may return by path. Default none. */
  allowedPaths?: readonly string[];
  /** Threads of the pool that runs `inWorker()` functions. Default `os.availableParallelism()`. */
  workerThreads?: number;
  /** Close gracefully on SIGTERM and SIGINT (finish running jobs, then exit). Default true. */
  handleSignals?: boolean;
  /** Print a line when ready. Default true. */
  quiet?: boolean;
}

/** A running worker process. */
export interface RunningWorker {
  /** The queue engine (for metrics and tests). */
  readonly engine: QueueEngine;
  /** The pool of worker threads that runs `inWorker()` functions. */
  readonly workers: WorkerPool;
  /** Stops claiming, lets running jobs finish (up to `graceMs`), then closes the store. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** An app whose `.queue()` options the worker can read (Blocks, Interface). */
export interface QueuedApp extends Buildable {
  readonly queueOptions?: QueueOptions | null;
}

/**
 * Runs `app`'s queued jobs from a shared store, with no HTTP server (see the file comment). The
 * queue options (concurrencyCount, limits) come from the app's `.queue()`, so fronts and workers
 * built from the same app file agree on them.
 */
export async function runWorker(app: QueuedApp, options: WorkerOptions = {}): Promise<RunningWorker> {
  const fromApp = app.queueOptions ?? {};
  const q = resolveQueueOptions({
    ...fromApp,
    ...(options.store === undefined ? {} : { store: options.store }),
    localWorkers: true,
  });
  if (!isSharedStore(q.store)) {
    throw new UsherError(
      "INVALID_OPTIONS",
      "runWorker() needs a store shared with the front processes: queue({ store: redisStore({ url }) }) or runWorker(app, { store }).",
    );
  }
  const l = resolveLaunchOptions(
    {
      ...(options.maxThreads === undefined ? {} : { maxThreads: options.maxThreads }),
      ...(options.showError === undefined ? {} : { showError: options.showError }),
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      ...(options.allowedPaths === undefined ? {} : { allowedPaths: options.allowedPaths }),
      ...(options.workerThreads === undefined ? {} : { workerThreads: options.workerThreads }),
    },
    // concurrencyCount is global (every worker shares it); maxThreads is this process's own cap.
    1,
  );
  const shared = await prepareSharedQueue(q.store, l.cacheDir, l.allowedPaths);
  const workers = new WorkerPool({ threads: l.workerThreads, abortGraceMs: l.workerAbortGraceMs });
  const served = app.build({ files: shared.files, workers, state: shared.state });
  const engine = new QueueEngine({
    functions: served.functions,
    store: q.store,
    bus: shared.relay,
    concurrencyCount: q.concurrencyCount,
    maxSize: q.maxSize,
    policy: queuePolicy(q),
    maxWaitMs: q.maxWaitMs,
    maxThreads: l.maxThreads,
    statusUpdateMs: q.statusUpdateMs,
    showError: l.showError,
  });
  if (options.quiet !== true)
    console.log(`Usher worker ${shared.store.cluster.nodeId} running ${served.title} (${l.maxThreads} threads)`);

  let closing: Promise<void> | undefined;
  let removeSignalHandlers = (): void => undefined;
  const running: RunningWorker = {
    engine,
    workers,
    close(closeOptions = {}) {
      closing ??= (async () => {
        removeSignalHandlers();
        await engine.close(closeOptions.graceMs === undefined ? {} : { graceMs: closeOptions.graceMs });
        await workers.close();
        await shared.store.close();
      })();
      return closing;
    },
  };
  if (options.handleSignals !== false) removeSignalHandlers = handleSignals(() => running.close(), null);
  return running;
}
