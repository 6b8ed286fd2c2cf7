/**
 * Child process of the `connections` scenario: an Usher app whose one function holds its only
 * slot until the parent says "release", so that every user who joins waits; plus a probe,
 * answered over IPC, that measures inside the server:
 *
 * - `{cmd:"mem"}` → memory after garbage collection (run with `--expose-gc`);
 * - `{cmd:"round"}` → ends the running call; the next waiting event starts and every other one
 *   moves up a rank, so the engine sends a status round (one `estimation` to each waiting user).
 *   Answers the event loop's busy time from the release until the last of those estimations was
 *   written to its connection (`performance.eventLoopUtilization().active`), the wall time of the
 *   same span, the CPU time, and the longest stretch the loop was held in it (a round is sent in
 *   time slices, see src/queue/Estimator.ts; measured by bench/servers/loopProbe.ts).
 *
 * Prints `LISTENING <url>` when ready; exits when the IPC channel closes.
 */
import { loadUsher } from "./loadUsher.ts";
import { measureRound, memAfterGc, type ProbeRequest, type RoundReading } from "./serverReadings.ts";

/** Longest a round may take before it is reported as it stands, ms. */
const ROUND_TIMEOUT_MS = 30_000;

const waiters: (() => void)[] = [];
let credits = 0;
const nextRelease = (): Promise<void> =>
  new Promise((resolve) => {
    if (credits > 0) {
      credits--;
      resolve();
    } else waiters.push(resolve);
  });
const release = (): void => {
  const w = waiters.shift();
  if (w === undefined) credits++;
  else w();
};

const { Interface } = await loadUsher();
const demo = new Interface({
  fn: async () => {
    await nextRelease();
    return "ok";
  },
  inputs: [],
  outputs: "text",
  apiName: "hold",
});

// statusUpdateMs 0: a round goes out at once when ranks change, not paced by the 1 s default.
demo.queue({ concurrencyCount: 1, statusUpdateMs: 0 });
const app = await demo.launch({
  port: 0,
  host: "127.0.0.1",
  quiet: true,
  logLevel: false,
  handleSignals: false,
  // No ping or heartbeat round may fall into a measured status round.
  heartbeatMs: 3_600_000,
  // SSE users open their stream right after their join, but 10 000 of them take a while.
  sessionGraceMs: 60_000,
});
// The only slot is taken before any user comes: every user waits.
await app.engine.join({ fnId: 0, sessionHash: "bench-blocker", data: [], rootUrl: app.url });

async function round(): Promise<RoundReading> {
  const expected = (await app.engine.size()) - 1;
  let estimations = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // Registered after the hub: when it sees an estimation, the hub has already written it. HTTP
  // responses hand their bytes to the socket on the next tick (Node corks them until then), so
  // the measurement waits for that tick too.
  const off = app.engine.on((e) => {
    if (e.type === "estimation" && ++estimations === expected) process.nextTick(done);
  });
  const timer = setTimeout(done, ROUND_TIMEOUT_MS);
  try {
    return await measureRound(async () => {
      release();
      await finished;
      return Math.min(estimations, expected);
    });
  } finally {
    clearTimeout(timer);
    off();
  }
}

process.on("message", (msg: ProbeRequest) => {
  const answer = msg.cmd === "mem" ? memAfterGc() : msg.cmd === "round" ? round() : app.engine.size();
  void answer.then((value) => process.send?.({ cmd: msg.cmd, value }));
});
process.on("disconnect", () => {
  void app.close({ graceMs: 0 }).finally(() => process.exit(0));
});
if ((globalThis as { gc?: unknown }).gc === undefined)
  console.error("warning: run with --expose-gc, memory figures include garbage");
console.log(`LISTENING ${app.url}`);
