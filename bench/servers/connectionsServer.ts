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
import { performance } from "node:perf_hooks";
import { loadUsher } from "./loadUsher.ts";
import { startLoopProbe } from "./loopProbe.ts";

/** Longest a round may take before it is reported as it stands, ms. */
const ROUND_TIMEOUT_MS = 30_000;

/** Probe requests from the parent. */
export type ProbeRequest = { readonly cmd: "mem" } | { readonly cmd: "round" } | { readonly cmd: "size" };

/** Memory after GC, bytes. */
export interface MemReading {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

/** One status round, measured in the server. */
export interface RoundReading {
  /** Event-loop busy time from the release to the last estimation written, ms. */
  readonly activeMs: number;
  /** Wall time of the same span, ms. */
  readonly wallMs: number;
  /**
   * Longest stretch the event loop was held without a turn in the same span (and up to the next
   * turn after it), ms: what a timer or another connection's I/O may have waited.
   */
  readonly longestStretchMs: number;
  /** CPU time of the process in the same span: in JavaScript and libraries (user), in the kernel (system), ms. */
  readonly userMs: number;
  readonly systemMs: number;
  /** Estimations sent in the round. */
  readonly estimations: number;
}

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

const gc = (globalThis as { gc?: () => void }).gc;

async function mem(): Promise<MemReading> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

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
  const probe = startLoopProbe();
  const start = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  release();
  await finished;
  const wallMs = performance.now() - t0;
  const activeMs = performance.eventLoopUtilization(start).active;
  const cpu = process.cpuUsage(cpu0);
  const longestStretchMs = await probe.stop();
  clearTimeout(timer);
  off();
  return {
    activeMs,
    wallMs,
    longestStretchMs,
    userMs: cpu.user / 1000,
    systemMs: cpu.system / 1000,
    estimations: Math.min(estimations, expected),
  };
}

process.on("message", (msg: ProbeRequest) => {
  const answer = msg.cmd === "mem" ? mem() : msg.cmd === "round" ? round() : app.engine.size();
  void answer.then((value) => process.send?.({ cmd: msg.cmd, value }));
});
process.on("disconnect", () => {
  void app.close({ graceMs: 0 }).finally(() => process.exit(0));
});
if (gc === undefined) console.error("warning: run with --expose-gc, memory figures include garbage");
console.log(`LISTENING ${app.url}`);
