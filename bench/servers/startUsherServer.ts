/** Starts Usher serving a scenario function, configured from the same {@link ServerSpec} as the floor. */
import { loadUsher } from "./loadUsher.ts";
import { makeScenarioFunction } from "./scenarioFunctions.ts";
import type { RunningServer, StartOptions } from "./serveChild.ts";
import type { ServerSpec } from "./ServerSpec.ts";

/** Starts Usher for `spec` (by default on 127.0.0.1, any free port). */
export async function startUsherServer(spec: ServerSpec, options: StartOptions = {}): Promise<RunningServer> {
  const { host = "127.0.0.1", port = 0 } = options;
  const usher = await loadUsher();
  const fn = makeScenarioFunction(spec.fn, options.onCall);
  const common = {
    inputs: "text",
    outputs: "text",
    apiName: "predict",
    ...(spec.expectedDurationMs === undefined ? {} : { expectedDurationMs: spec.expectedDurationMs }),
  } as const;
  const demo =
    fn.kind === "batch"
      ? new usher.Interface({ ...common, fn: fn.fn, batch: true, maxBatchSize: fn.maxBatchSize })
      : new usher.Interface({ ...common, fn: fn.fn });
  demo.queue({
    concurrencyCount: spec.concurrencyCount,
    maxSize: spec.maxSize,
    ...(spec.statusUpdateMs === undefined ? {} : { statusUpdateMs: spec.statusUpdateMs }),
    ...(spec.fairness === undefined ? {} : { fairness: spec.fairness }),
    ...(spec.maxWaitMs === undefined ? {} : { maxWaitMs: spec.maxWaitMs }),
    ...(spec.maxPerClient === undefined ? {} : { maxPerClient: spec.maxPerClient }),
  });
  const app = await demo.launch({
    port,
    host,
    quiet: true,
    logLevel: false,
    ...(spec.trustProxy === undefined ? {} : { trustProxy: spec.trustProxy }),
  });
  return { url: app.url.replace(/\/$/, ""), close: () => app.close() };
}
