/**
 * Child server of the "eventLoop" scenario: an Usher app with a CPU-bound function (`busy`, inline
 * or in the worker pool, by argv[2]) and a cheap probe function (`echo`, its own unlimited pool),
 * plus an event-loop delay histogram of this process. Commands on stdin, one per line: `reset`
 * (clear the histogram), `report` (print it as one JSON line). Prints `READY <url>` once up.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { Blocks, Button, NumberInput, Textbox, inWorker } from "../../src/index.ts";
import { busy } from "./eventLoopModel.ts";

const mode = process.argv[2] === "inline" ? "inline" : "worker";
const threads = Number(process.argv[3] ?? 2);

const app = new Blocks({}, () => {
  const n = new NumberInput();
  const out = new NumberInput();
  const t = new Textbox();
  const echoed = new Textbox();
  const fn =
    mode === "inline" ? (ms: number) => busy(ms) : inWorker(new URL("./eventLoopModel.ts", import.meta.url), "busy");
  new Button("busy").click({ fn, inputs: [n], outputs: [out], apiName: "busy" });
  new Button("echo").click({
    fn: (s: string) => s,
    inputs: [t],
    outputs: [echoed],
    apiName: "echo",
    concurrencyLimit: null,
  });
});
app.queue({ concurrencyCount: threads, statusUpdateMs: 100 });
const running = await app.launch({
  port: 0,
  quiet: true,
  logLevel: false,
  workerThreads: threads,
  handleSignals: false,
});

// 1 ms resolution: the delays that matter here are a few ms, not the default 10 ms granularity.
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
const toMs = (ns: number): number => ns / 1e6;

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "reset") histogram.reset();
  else if (line === "report") {
    process.stdout.write(
      `${JSON.stringify({
        p50Ms: toMs(histogram.percentile(50)),
        p99Ms: toMs(histogram.percentile(99)),
        maxMs: toMs(histogram.max),
        meanMs: toMs(histogram.mean),
      })}\n`,
    );
  } else if (line === "exit") {
    void running.close({ graceMs: 0 }).then(() => process.exit(0));
  }
});
process.stdout.write(`READY ${running.url}\n`);
