/**
 * Starts Usher serving a scenario function, configured from the same {@link ServerSpec} as the
 * floor. Usher's public API is imported at run time through a computed specifier, with the shape
 * it is being built to (below), so that `bench/` type-checks before `src/index.ts` exists. Once it
 * does, this can become a static `import { Interface } from "../../src/index.ts"`.
 */
import { makeScenarioFunction } from "./scenarioFunctions.ts";
import type { RunningServer, StartOptions } from "./serveChild.ts";
import type { ServerSpec } from "./ServerSpec.ts";

/** The part of Usher's `Interface` options the bench uses. */
interface UsherInterfaceOptions {
  fn: unknown;
  inputs: "text";
  outputs: "text";
  apiName: string;
  batch?: boolean;
  maxBatchSize?: number;
  expectedDurationMs?: number;
}

/** The part of Usher's public API the bench uses. */
interface UsherApi {
  Interface: new (options: UsherInterfaceOptions) => {
    queue(options: { concurrencyCount: number; maxSize: number | null; statusUpdateMs?: number }): unknown;
    launch(options: { port: number; host: string; quiet: boolean; logLevel: false }): Promise<{
      readonly url: string;
      close(): Promise<void>;
    }>;
  };
}

/** Where Usher's public API lives, relative to this file. */
const USHER_ENTRY: string = "../../src/index.ts";

/** Starts Usher for `spec` (by default on 127.0.0.1, any free port). */
export async function startUsherServer(spec: ServerSpec, options: StartOptions = {}): Promise<RunningServer> {
  const { host = "127.0.0.1", port = 0 } = options;
  const usher = (await import(USHER_ENTRY)) as UsherApi;
  const fn = makeScenarioFunction(spec.fn, options.onCall);
  const demoOptions: UsherInterfaceOptions = { fn: fn.fn, inputs: "text", outputs: "text", apiName: "predict" };
  if (fn.kind === "batch") {
    demoOptions.batch = true;
    demoOptions.maxBatchSize = fn.maxBatchSize;
  }
  if (spec.expectedDurationMs !== undefined) demoOptions.expectedDurationMs = spec.expectedDurationMs;
  const demo = new usher.Interface(demoOptions);
  demo.queue({
    concurrencyCount: spec.concurrencyCount,
    maxSize: spec.maxSize,
    ...(spec.statusUpdateMs === undefined ? {} : { statusUpdateMs: spec.statusUpdateMs }),
  });
  const app = await demo.launch({ port, host, quiet: true, logLevel: false });
  return { url: app.url.replace(/\/$/, ""), close: () => app.close() };
}
