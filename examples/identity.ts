/**
 * The guide's own example: identity on text, queued. Everything a load test wants to change comes
 * from the environment:
 *   PORT (7860), HOST (127.0.0.1), CONCURRENCY_COUNT (1), MAX_SIZE (unlimited), API_OPEN (true),
 *   BATCH (max batch size; batching is off when unset), STATUS_UPDATE_MS (1000), DELAY_MS (0: the
 *   function waits this long before answering, so that fault scenarios can be replayed with a job
 *   that is still running, and a queue builds up at a few requests per second).
 * The fair queue: FAIRNESS (on; 0 turns it off: strict FIFO), MAX_PER_CLIENT (unlimited: most
 *   requests one client may have waiting or running), MAX_WAIT_MS (unlimited: a join predicted to
 *   wait longer is refused), TRUST_PROXY (off; 1 believes X-Forwarded-For from loopback, so that a
 *   load test on one machine can play many clients by sending one address each).
 * Scale-out: with REDIS_URL set (key prefix REDIS_PREFIX, default "usher:"), every process started
 * this way, on any port or machine, shares one queue; LOCAL_WORKERS=0 makes a front that runs no
 * jobs, and `npx usher worker examples/identity.ts` (same REDIS_URL) adds a worker.
 * Run: npm run example:identity   (or: PORT=8000 CONCURRENCY_COUNT=4 npm run example:identity)
 */
import { Interface } from "usher-ml";
import { redisStore } from "usher-ml/redis";

const env = process.env;
const int = (name: string): number | undefined => {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${v}"`);
  return n;
};
/** A 0/1 switch: `fallback` when unset. */
const flag = (name: string, fallback: boolean): boolean => {
  const v = env[name];
  return v === undefined || v === "" ? fallback : !/^(0|false|no)$/i.test(v);
};
const batchSize = int("BATCH");
const delayMs = int("DELAY_MS") ?? 0;
/** Resolves after DELAY_MS (at once when 0: no timer on the benchmark's path). */
const delay = (): Promise<void> | undefined =>
  delayMs === 0 ? undefined : new Promise((resolve) => setTimeout(resolve, delayMs));

const demo =
  batchSize === undefined
    ? new Interface({
        fn: (text: string) => {
          const waiting = delay();
          return waiting === undefined ? text : waiting.then(() => text);
        },
        inputs: "text",
        outputs: "text",
        title: "Identity",
        description: "Returns what you type. The example of Gradio's guide to maximum performance.",
        examples: [["Hello, world!"]],
        apiName: "predict",
      })
    : new Interface({
        // Batched: one list per input in, one list per output out.
        fn: (texts: string[]) => {
          const waiting = delay();
          return waiting === undefined ? [texts] : waiting.then(() => [texts]);
        },
        inputs: "text",
        outputs: "text",
        title: "Identity (batched)",
        description: `Returns what you type, ${batchSize} requests per call at most.`,
        examples: [["Hello, world!"]],
        batch: true,
        maxBatchSize: batchSize,
        apiName: "predict",
      });

demo.queue({
  concurrencyCount: int("CONCURRENCY_COUNT") ?? 1,
  maxSize: int("MAX_SIZE") ?? null,
  apiOpen: flag("API_OPEN", true),
  statusUpdateMs: int("STATUS_UPDATE_MS") ?? 1000,
  fairness: flag("FAIRNESS", true),
  maxPerClient: int("MAX_PER_CLIENT") ?? null,
  maxWaitMs: int("MAX_WAIT_MS") ?? null,
  ...(env["REDIS_URL"] === undefined || env["REDIS_URL"] === ""
    ? {}
    : {
        store: redisStore({ url: env["REDIS_URL"], keyPrefix: env["REDIS_PREFIX"] || "usher:" }),
        localWorkers: int("LOCAL_WORKERS") !== 0,
      }),
});
const app = await demo.launch({
  port: int("PORT") ?? 7860,
  host: env["HOST"] ?? "127.0.0.1",
  // Explicit (launch()'s own default is ["loopback"]): a client's X-Forwarded-For is its address
  // (its fair share, its maxPerClient) only when TRUST_PROXY=1.
  trustProxy: flag("TRUST_PROXY", false) ? ["loopback"] : false,
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
