/**
 * Child-process entry of the `redis` scenario: one process of an Usher deployment, configured by
 * the JSON in argv[2] ({@link ClusterChildSpec}): a front (in-memory store, or Redis with or
 * without local workers) or a worker. Prints `LISTENING <url>` (a worker: `LISTENING worker`) when
 * ready and exits on SIGTERM or when its stdin closes. Usher is the built package (see loadUsher.ts).
 */
import { deferredMemoryStore, type DeferredOp } from "./deferredMemoryStore.ts";
import { loadUsher, loadUsherRedis } from "./loadUsher.ts";
import type { FunctionSpec } from "./ServerSpec.ts";
import { makeScenarioFunction } from "./scenarioFunctions.ts";

/** What one process of the scenario runs. */
export interface ClusterChildSpec {
  readonly role: "front" | "worker";
  readonly fn: FunctionSpec;
  /** null: the in-memory store (a front only). */
  readonly redis: { readonly url: string; readonly keyPrefix: string } | null;
  readonly concurrencyCount: number;
  /** Most jobs this process runs at once. */
  readonly maxThreads: number;
  /** A front with a Redis store: run jobs too. */
  readonly localWorkers: boolean;
  /** A front's `launch({ sessionGraceMs })`; undefined keeps Usher's default (5 s). */
  readonly sessionGraceMs?: number;
  /**
   * With the in-memory store: these of its operations answer a turn later (a probe, see
   * deferredMemoryStore.ts). Absent or empty: the store as users get it.
   */
  readonly deferredOps?: readonly DeferredOp[];
}

const spec = JSON.parse(process.argv[2] ?? "null") as ClusterChildSpec;
// The built package, as the other scenarios' servers: tsx's transform taxes closures (its keepNames
// wrappers), and a front on Redis makes more of them than the memory store does (bench/README.md).
const { Interface, runWorker } = await loadUsher();
const { redisStore } = await loadUsherRedis();
const fn = makeScenarioFunction(spec.fn);
if (fn.kind !== "single") throw new TypeError(`the redis scenario serves single functions, got ${fn.kind}`);
const demo = new Interface({ fn: fn.fn, inputs: "text", outputs: "text", apiName: "predict" });
const deferred = spec.deferredOps ?? [];
demo.queue({
  concurrencyCount: spec.concurrencyCount,
  ...(spec.redis !== null
    ? { store: redisStore(spec.redis), localWorkers: spec.role === "worker" || spec.localWorkers }
    : deferred.length > 0
      ? { store: await deferredMemoryStore(deferred) }
      : {}),
});
let close: () => Promise<void>;
if (spec.role === "worker") {
  const worker = await runWorker(demo, { quiet: true, maxThreads: spec.maxThreads, handleSignals: false });
  close = () => worker.close({ graceMs: 0 });
  process.stdout.write("LISTENING worker\n");
} else {
  const app = await demo.launch({
    port: 0,
    quiet: true,
    logLevel: false,
    maxThreads: spec.maxThreads,
    handleSignals: false,
    metrics: false,
    ...(spec.sessionGraceMs === undefined ? {} : { sessionGraceMs: spec.sessionGraceMs }),
  });
  close = () => app.close({ graceMs: 0 });
  process.stdout.write(`LISTENING ${app.url.replace(/\/$/, "")}\n`);
}
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => process.exit(0), 2000);
  void close().finally(() => {
    clearTimeout(timer);
    process.exit(0);
  });
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
