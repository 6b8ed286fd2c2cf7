/**
 * Child process of the `unread` scenario (Usher from `src/` through tsx: the figure is memory, not
 * CPU per request): an Usher app whose one function returns a 10 MB string
 * (a fresh one per call), with the launch options in argv[2] (JSON; `{}` for the defaults). It
 * samples its own RSS every 10 ms and answers over IPC:
 *
 * - `{cmd:"mem"}` → `{ rss, peakRss }`, bytes; `peakRss` is the highest sample since the last `mem`
 *   (the first answer is the baseline at rest).
 *
 * Prints `LISTENING <url>` when ready; exits when the IPC channel closes.
 */
import { Interface } from "../../src/index.ts";

/** Characters of each result (`UNREAD_RESULT_CHARS` to try another size). */
export const UNREAD_RESULT_CHARS = Number(process.env["UNREAD_RESULT_CHARS"] ?? 10 * 1000 * 1000);

const options = JSON.parse(process.argv[2] ?? "{}") as Record<string, number>;
const demo = new Interface({
  fn: (tag: string) => tag + "r".repeat(UNREAD_RESULT_CHARS),
  inputs: "text",
  outputs: "text",
  apiName: "big",
});
demo.queue({ concurrencyCount: 4, maxSize: 1000 });
const app = await demo.launch({
  port: 0,
  host: "127.0.0.1",
  quiet: true,
  logLevel: false,
  handleSignals: false,
  ...options,
});

let peakRss = 0;
const sample = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};
setInterval(sample, 10);

process.on("message", (msg: { cmd: string }) => {
  if (msg.cmd !== "mem") return;
  sample();
  const value = { rss: process.memoryUsage.rss(), peakRss };
  peakRss = 0;
  process.send?.({ cmd: msg.cmd, value });
});
process.on("disconnect", () => {
  void app.close({ graceMs: 0 }).finally(() => process.exit(0));
});
process.stdout.write(`LISTENING ${app.url}\n`);
