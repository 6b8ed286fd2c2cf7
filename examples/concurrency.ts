/**
 * The guide's `concurrency_count`: a slow "model" (1 s per call, mostly waiting, like a call to a
 * GPU server) served by 4 workers, so 4 users are served at once and throughput is 4 calls/s.
 * Open the page in several tabs and submit in each: the first 4 run together, the rest wait and
 * see their place and ETA.
 *
 * Run: npm run example examples/concurrency.ts
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Interface } from "usher-ml";

const demo = new Interface({
  fn: async function slowUpper(text: string) {
    await sleep(1000);
    return text.toUpperCase();
  },
  inputs: "text",
  outputs: "text",
  title: "concurrencyCount: 4",
  description: "Each call takes 1 s; 4 run at once.",
  examples: [["four at a time"]],
  expectedDurationMs: 1000,
});
demo.queue({ concurrencyCount: 4 });

export default demo;
