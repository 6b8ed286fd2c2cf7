/**
 * CPU-bound functions off the event loop: the prime counter of examples/worker-model.ts runs in a
 * pool of worker threads (`inWorker`), so that while every thread is busy the server still
 * answers new users, status updates and the page at once. Progress bars, cancellation and
 * AppErrors work as they do inline.
 *   PORT (7860), WORKER_THREADS (os.availableParallelism()).
 * Run: npm run example examples/worker.ts
 */
import { availableParallelism } from "node:os";
import { Interface, inWorker } from "usher-ml";

const threads = Number(process.env["WORKER_THREADS"] ?? availableParallelism());

const demo = new Interface({
  fn: inWorker(new URL("./worker-model.ts", import.meta.url), "countPrimes"),
  inputs: { type: "number", label: "n", value: 20_000_000 },
  outputs: "text",
  title: "Prime counter (worker threads)",
  description: `Counts the primes up to n with a sieve, on one of ${threads} worker threads.`,
  examples: [[1_000_000], [20_000_000], [50_000_000]],
  apiName: "count_primes",
  expectedDurationMs: 1000,
});

// One queue slot per thread: more would only wait inside the pool.
demo.queue({ concurrencyCount: threads });
await demo.launch({ port: Number(process.env["PORT"] ?? 7860), workerThreads: threads });
