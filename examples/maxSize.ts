/**
 * The guide's `max_size`: at most 3 requests wait; one more is refused at once with "Queue is
 * full" (HTTP 503 and a Retry-After) instead of waiting for minutes. One worker, 3 s per call:
 * submit from 5 tabs quickly to see the fifth refused.
 *
 * Run: npm run example examples/maxSize.ts
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Interface } from "usher-ml";

const demo = new Interface({
  fn: async function slowReverse(text: string) {
    await sleep(3000);
    return [...text].reverse().join("");
  },
  inputs: "text",
  outputs: "text",
  title: "maxSize: 3",
  description: "One call at a time, 3 s each; a fourth waiting request is refused.",
  examples: [["a full queue says so"]],
  expectedDurationMs: 3000,
});
demo.queue({ concurrencyCount: 1, maxSize: 3 });

export default demo;
