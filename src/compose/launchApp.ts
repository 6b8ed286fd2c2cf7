/**
 * `launch()`: builds the app, makes the queue engine and the session hub, and listens.
 */
import { queuePolicy } from "./queuePolicy.ts";
import { randomInt } from "node:crypto";
import type { Server } from "node:net";
import type { Buildable, RunningApp, ServedApp } from "../app/index.ts";
import { systemClock, type Clock } from "../clock.ts";
import { UsherError } from "../errors.ts";
import {
  onSpaces,
  resolveLaunchOptions,
  resolveQueueOptions,
  type LaunchOptions,
  type QueueOptions,
  type ResolvedLaunchOptions,
  type ResolvedQueueOptions,
} from "../options.ts";
import { QueueEngine } from "../queue/index.ts";
import { FileSweeper, isSharedStore, LocalFileStore, MemoryStore } from "../store/index.ts";
import { WorkerPool } from "../runtime/index.ts";
import { runWorker } from "./runWorker.ts";
import { workerRole } from "./workerRole.ts";
import {
  Authenticator,
  clientAddressOf,
  createServer,
  LegacyRouter,
  Metrics,
  ReaderBudget,
  RequestPolicy,
  requestRoot,
  type ServerContext,
  SessionHub,
  SessionOwners,
} from "../server/index.ts";
import { cliLaunchHook } from "./cliLaunchHook.ts";
import { prepareSharedQueue, type SharedQueueParts } from "./prepareSharedQueue.ts";
import { SessionPresence } from "./SessionPresence.ts";
import { handleSignals } from "./shutdown.ts";

/** A launched app (defined with the app model, whose `launch()` returns it). */
export type { RunningApp };

/** Launches `app`; `queue` is null when `.queue()` was never called (on Spaces the queue is on anyway). */
export function launchApp(
  app: Buildable,
  queue: QueueOptions | null,
  options: LaunchOptions = {},
): Promise<RunningApp> {
  // Under `usher worker app.ts` the app file's launch() runs a worker instead of a server.
  const role = workerRole();
  if (role !== undefined) {
    const worker = launchWorker(app, queue, options);
    role.started.push(worker);
    return worker;
  }
  // Under the `usher` CLI the command line's --port/--host win, and the CLI learns of the launch.
  const cli = cliLaunchHook();
  if (cli === undefined) return listen(app, queue, options);
  const launch = listen(app, queue, { ...options, ...cli.overrides }, cli.reload === true);
  cli.launches.push(launch);
  return launch;
}

async function listen(
  app: Buildable,
  queue: QueueOptions | null,
  options: LaunchOptions,
  devReload = false,
): Promise<RunningApp> {
  const q = resolveQueueOptions(queue ?? {});
  const l = resolveLaunchOptions(options, q.concurrencyCount);
  const clock = systemClock;
  refuseSharedLegacyStart(l, q);
  // A store shared by several processes (Redis) brings files, State and an event bus they all reach.
  const shared = isSharedStore(q.store) ? await prepareSharedQueue(q.store, l.cacheDir, l.allowedPaths) : null;
  const files = shared?.files ?? new LocalFileStore(l.cacheDir, l.allowedPaths);
  // Threads start with the first inWorker() call: apps without worker functions start none.
  const workers = new WorkerPool({ threads: l.workerThreads, abortGraceMs: l.workerAbortGraceMs, clock });
  const served = app.build({ files, workers, ...(shared === null ? {} : { state: shared.state }) });
  const owners = sessionOwnersOf(shared, served);
  const { legacy, engine, budget, hub, metrics } = composeEngine(served, q, l, shared, clock, owners, (code) =>
    ctx.refused?.(code),
  );
  const presence = new SessionPresence(clock, l.sessionGraceMs, (h) => served.closeSession(h));
  const ctx: ServerContext = {
    app: served,
    engine,
    hub,
    files,
    options: l,
    queueEnabled: queue !== null || onSpaces(),
    apiOpen: q.apiOpen,
    auth: l.auth === null ? null : new Authenticator(l.auth, Date.now, { clock }),
    owners,
    metrics,
    budget,
    appId: randomInt(1, 2 ** 47),
    devReload,
    clock,
    legacy,
    sessionOpened: (sessionHash) => presence.opened(sessionHash),
    rootOf: (req) => requestRoot(req.headers, "encrypted" in req.socket && req.socket.encrypted === true, l.rootPath),
    clientAddress: clientAddressOf(l.trustProxy),
    // The app's queue({ clientKey, priority }), called by every door; null: the defaults, nothing built.
    policy: RequestPolicy.of({ clientKey: q.clientKey, priority: q.priority }, () => clock.now()),
    heartbeatClosed: (sessionHash) => presence.closed(sessionHash),
  };
  const server = await createServer(ctx);
  await server.listen({ port: l.port, host: l.host });
  const { url, port } = publicAddress(server.server.address(), l);
  if (!l.quiet) console.log(`Running on local URL:  ${url}`);
  // Uploads and outputs older than fileTtlMs go; the sweeper's timer never holds the process open.
  const sweeper = new FileSweeper({ root: files.root, ttlMs: l.fileTtlMs, clock });
  sweeper.start();

  let closing: Promise<void> | undefined;
  let removeSignalHandlers = (): void => undefined;
  const running: RunningApp = {
    url,
    port,
    engine,
    workers,
    close(closeOptions = {}) {
      closing ??= (async () => {
        removeSignalHandlers();
        await sweeper.stop();
        await engine.close(closeOptions.graceMs === undefined ? {} : { graceMs: closeOptions.graceMs });
        await workers.close();
        hub.close();
        budget.close();
        presence.close();
        await server.close();
        if (shared !== null) await shared.store.close();
      })();
      return closing;
    },
  };
  if (l.handleSignals)
    removeSignalHandlers = handleSignals(() => running.close(), l.logLevel === false ? null : server.log);
  return running;
}

/** `legacyInputsAt: "start"` needs the job in the socket's process: a shared queue cannot promise it. */
function refuseSharedLegacyStart(l: ResolvedLaunchOptions, q: ResolvedQueueOptions): void {
  if (l.legacyInputsAt === "start" && isSharedStore(q.store))
    throw new UsherError(
      "INVALID_OPTIONS",
      'legacyInputsAt: "start" needs the in-memory store: with a shared queue a 3.x job may run in another process, which cannot ask the socket for its inputs.',
    );
}

/** The engine of a server, with its 3.x socket router, its unread-bytes budget, its session hub and its metrics. */
function composeEngine(
  served: ServedApp,
  q: ResolvedQueueOptions,
  l: ResolvedLaunchOptions,
  shared: SharedQueueParts | null,
  clock: Clock,
  owners: SessionOwners,
  refused: (code: "SLOW_READER" | "RESULT_DROPPED") => void,
): { legacy: LegacyRouter; engine: QueueEngine; budget: ReaderBudget; hub: SessionHub; metrics: Metrics | null } {
  // When Gradio 3.x sockets send their inputs (launch({ legacyInputsAt })): see ws/legacyInputs.ts.
  const legacy = new LegacyRouter({
    slotsOf: (fnId) => engine.poolSlots(fnId),
    averageMs: (fnId) => engine.averageDurationMs(fnId),
    eagerInputs: l.legacyInputsAt === "join",
    // With a shared store the job may run in another process: the socket asks for inputs at once.
    shared: shared !== null,
    dataTimeoutMs: l.legacyDataTimeoutMs,
    clock,
  });
  const engine: QueueEngine = new QueueEngine({
    functions: served.functions.map((f) => legacy.wrap(f)),
    // The default store is this process's own: made here, closed with the engine.
    store: q.store ?? new MemoryStore(),
    ownsStore: q.store === undefined,
    concurrencyCount: q.concurrencyCount,
    maxSize: q.maxSize,
    policy: queuePolicy(q),
    maxWaitMs: q.maxWaitMs,
    maxThreads: l.maxThreads,
    statusUpdateMs: q.statusUpdateMs,
    showError: l.showError,
    clock,
    ...(shared === null ? {} : { bus: shared.relay, runJobs: q.localWorkers }),
  });
  // Readers that leave results unread are cut off before they pin memory (see ReaderBudget).
  const budget = new ReaderBudget({
    clock,
    maxConnectionBytes: l.maxConnectionBufferBytes,
    maxServerBytes: l.maxServerBufferBytes,
    slowReaderMs: l.slowReaderMs,
    // Counted and logged like any refusal (createServer); called only once the server runs.
    onCut: () => refused("SLOW_READER"),
    onDropped: () => refused("RESULT_DROPPED"),
  });
  const hubOptions = {
    clock,
    engine,
    sessionGraceMs: l.sessionGraceMs,
    heartbeatMs: l.heartbeatMs,
    onSessionGone: (h: string) => served.closeSession(h),
    budget,
    keptResultTtlMs: l.keptResultTtlMs,
    // A session waiting without requests (its stream open, its event queued) keeps its record.
    onSessionInUse: (h: string) => owners.keepAlive(h),
  };
  const hub = shared === null ? new SessionHub(hubOptions) : shared.makeHub(hubOptions);
  engine.on(hub.deliver);
  const metrics = l.metrics ? new Metrics(engine, hub, budget) : null;
  engine.on(legacy.deliver);
  return { legacy, engine, budget, hub, metrics };
}

/**
 * Who each session belongs to. With a shared store the owner is recorded there, for every front to
 * enforce, and records last as long as what they protect: State only where a function writes it.
 */
function sessionOwnersOf(shared: SharedQueueParts | null, served: ServedApp): SessionOwners {
  const records = shared === null ? null : shared.store.sessionOwners();
  records?.keepsState?.(served.functions.some((f) => f.writesState !== false));
  return new SessionOwners({ shared: records });
}

/** The URL the banner and `RunningApp.url` give: the bound port, and a wildcard host as loopback. */
function publicAddress(
  address: ReturnType<Server["address"]>,
  l: { port: number; host: string; rootPath: string },
): { url: string; port: number } {
  const port = typeof address === "object" && address !== null ? address.port : l.port;
  const host = l.host.includes(":") ? `[${l.host}]` : l.host === "0.0.0.0" ? "127.0.0.1" : l.host;
  return { url: `http://${host}:${port}${l.rootPath}`, port };
}

/** `launch()` under `usher worker`: a worker with the launch's options that apply to one. */
async function launchWorker(app: Buildable, queue: QueueOptions | null, options: LaunchOptions): Promise<RunningApp> {
  const worker = await runWorker(
    { build: (env) => app.build(env), queueOptions: queue },
    {
      ...(options.maxThreads === undefined ? {} : { maxThreads: options.maxThreads }),
      ...(options.showError === undefined ? {} : { showError: options.showError }),
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      ...(options.allowedPaths === undefined ? {} : { allowedPaths: options.allowedPaths }),
      ...(options.workerThreads === undefined ? {} : { workerThreads: options.workerThreads }),
      ...(options.handleSignals === undefined ? {} : { handleSignals: options.handleSignals }),
      ...(options.quiet === undefined ? {} : { quiet: options.quiet }),
    },
  );
  return { url: "", port: 0, engine: worker.engine, workers: worker.workers, close: (o) => worker.close(o) };
}
