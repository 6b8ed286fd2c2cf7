/**
 * Scenario "eventLoop": while CPU-bound calls keep both cores busy (4 users in a closed loop on a
 * 200 ms busy function, concurrencyCount 2, a pool of 2 worker threads), the server must still
 * answer: new users join (probe: a cheap function joining through the sse_v3 queue every 100 ms)
 * and get their status messages at once. The server process measures its own event-loop delay
 * (perf_hooks.monitorEventLoopDelay, 1 ms resolution). The same function run inline, for
 * comparison, freezes the event loop for the length of every call.
 *
 * Median of 3 runs per mode, modes alternating. Targets: worker mode p99 event-loop delay < 20 ms;
 * p99 join latency and time to the first status message at most a tenth of inline mode's.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface, type Interface as Lines } from "node:readline";
import { fileURLToPath } from "node:url";
import { median, percentile } from "../report/summarize.ts";
import type { Scenario, TargetCheck } from "./Scenario.ts";

const NAME = "eventLoop";
const TITLE = "Event loop under CPU-bound load: worker threads vs inline";
const BUSY_MS = 200;
const CPU_USERS = 4;
const THREADS = 2;
const PROBE_EVERY_MS = 100;
const WINDOW_MS = 5000;
const WARMUP_MS = 1000;
const RUNS = 3;
const PROBE_TIMEOUT_MS = 20_000;

type Mode = "worker" | "inline";

/** One run's figures. */
interface RunFigures {
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  readonly joinP50Ms: number;
  readonly joinP99Ms: number;
  /** Join to the first status message (estimation / process_starts) on the session stream. */
  readonly statusP99Ms: number;
  /** Join to the probe's result. */
  readonly doneP99Ms: number;
  readonly busyCalls: number;
  readonly probes: number;
  readonly probeFailures: number;
}

/** A started child server. */
interface Child {
  readonly url: string;
  readonly proc: ChildProcessWithoutNullStreams;
  readonly lines: Lines;
  command(line: string): Promise<string | null>;
}

async function startChild(mode: Mode): Promise<Child> {
  const script = fileURLToPath(new URL("./eventLoopServer.ts", import.meta.url));
  const proc = spawn(
    process.execPath,
    ["--conditions=usher-source", "--import", "tsx", script, mode, String(THREADS)],
    {
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  proc.stderr.on("data", (d: Buffer) => process.stderr.write(d));
  const lines = createInterface({ input: proc.stdout });
  const queue: string[] = [];
  let waiter: ((line: string) => void) | null = null;
  lines.on("line", (line) => {
    if (waiter !== null) {
      const w = waiter;
      waiter = null;
      w(line);
    } else queue.push(line);
  });
  const nextLine = (): Promise<string> => {
    const l = queue.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => (waiter = r));
  };
  const ready = await nextLine();
  if (!ready.startsWith("READY ")) throw new Error(`eventLoop server: ${ready}`);
  return {
    url: ready.slice(6),
    proc,
    lines,
    async command(line) {
      proc.stdin.write(`${line}\n`);
      return line === "report" ? nextLine() : null;
    },
  };
}

/** One closed-loop user of the busy function (through /call), until `stop`. */
async function cpuUser(url: string, stop: { stopped: boolean }, counter: { n: number }): Promise<void> {
  while (!stop.stopped) {
    const r = await fetch(`${url}/gradio_api/call/busy`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: [BUSY_MS] }),
    });
    const { event_id: id } = (await r.json()) as { event_id: string };
    await (await fetch(`${url}/gradio_api/call/busy/${id}`)).text();
    counter.n++;
  }
}

/** A new user joins the probe function and reads its session stream to the end. */
async function probe(url: string): Promise<{ joinMs: number; statusMs: number; doneMs: number } | null> {
  const session = randomUUID().slice(0, 11);
  const t0 = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS);
  try {
    const r = await fetch(`${url}/gradio_api/queue/join`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: ["hi"], fn_index: 1, session_hash: session, event_data: null, trigger_id: null }),
      signal: controller.signal,
    });
    await r.json();
    const joinMs = performance.now() - t0;
    const stream = await fetch(`${url}/gradio_api/queue/data?session_hash=${session}`, { signal: controller.signal });
    if (stream.body === null) return null;
    let statusMs: number | null = null;
    let text = "";
    const decoder = new TextDecoder();
    const reader = stream.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return null;
      text += decoder.decode(value, { stream: true });
      if (statusMs === null && /"msg":\s*"(estimation|process_starts)"/.test(text)) statusMs = performance.now() - t0;
      if (text.includes("process_completed")) {
        const doneMs = performance.now() - t0;
        void reader.cancel().catch(() => undefined);
        return { joinMs, statusMs: statusMs ?? doneMs, doneMs };
      }
    }
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function runOnce(mode: Mode, timeScale: number): Promise<RunFigures> {
  const child = await startChild(mode);
  const stop = { stopped: false };
  const counter = { n: 0 };
  try {
    const users = Array.from({ length: CPU_USERS }, () => cpuUser(child.url, stop, counter).catch(() => undefined));
    await sleep(WARMUP_MS * timeScale);
    await child.command("reset");
    counter.n = 0;
    const probes: Promise<Awaited<ReturnType<typeof probe>>>[] = [];
    const end = performance.now() + WINDOW_MS * timeScale;
    while (performance.now() < end) {
      probes.push(probe(child.url));
      await sleep(PROBE_EVERY_MS);
    }
    const loop = JSON.parse((await child.command("report")) ?? "{}") as { p99Ms: number; maxMs: number };
    const busyCalls = counter.n;
    stop.stopped = true;
    const seen = await Promise.all(probes);
    await Promise.race([Promise.all(users), sleep(5000)]);
    const ok = seen.filter((s): s is NonNullable<typeof s> => s !== null);
    const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b);
    const joins = sorted(ok.map((s) => s.joinMs));
    const status = sorted(ok.map((s) => s.statusMs));
    const done = sorted(ok.map((s) => s.doneMs));
    const p = (xs: number[], q: number): number => (xs.length === 0 ? Number.NaN : percentile(xs, q));
    return {
      loopP99Ms: loop.p99Ms,
      loopMaxMs: loop.maxMs,
      joinP50Ms: p(joins, 50),
      joinP99Ms: p(joins, 99),
      statusP99Ms: p(status, 99),
      doneP99Ms: p(done, 99),
      busyCalls,
      probes: seen.length,
      probeFailures: seen.length - ok.length,
    };
  } finally {
    stop.stopped = true;
    await child.command("exit").catch(() => null);
    await Promise.race([new Promise((r) => child.proc.once("exit", r)), sleep(3000)]);
    child.proc.kill();
    child.lines.close();
  }
}

function medianOf(runs: readonly RunFigures[], key: keyof RunFigures): number {
  return median(runs.map((r) => r[key]));
}

function fmt(x: number): string {
  return Number.isNaN(x) ? "-" : x < 10 ? x.toFixed(2) : x.toFixed(0);
}

/** The scenario. */
export const eventLoop: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    `${CPU_USERS} users keep a ${BUSY_MS} ms CPU-bound function busy (concurrencyCount ${THREADS}, ${THREADS} worker threads) ` +
    `while a new user joins a cheap function every ${PROBE_EVERY_MS} ms; the server reports its event-loop delay. ` +
    `Worker threads vs the same function inline; median of ${RUNS} runs. Target: p99 event-loop delay < 20 ms with workers.`,
  async run(ctx) {
    const runs: Record<Mode, RunFigures[]> = { worker: [], inline: [] };
    for (let i = 0; i < RUNS; i++) {
      for (const mode of i % 2 === 0 ? (["worker", "inline"] as const) : (["inline", "worker"] as const)) {
        const r = await runOnce(mode, ctx.timeScale);
        ctx.log(
          `  ${NAME} ${mode} run ${i + 1}: loop p99 ${fmt(r.loopP99Ms)} ms (max ${fmt(r.loopMaxMs)}), join p99 ${fmt(r.joinP99Ms)} ms, ` +
            `status p99 ${fmt(r.statusP99Ms)} ms, probe done p99 ${fmt(r.doneP99Ms)} ms, busy calls ${r.busyCalls}, probes ${r.probes} (${r.probeFailures} failed)`,
        );
        runs[mode].push(r);
      }
    }
    const line = (mode: Mode): string =>
      `${mode.padEnd(7)} loop p99 ${fmt(medianOf(runs[mode], "loopP99Ms"))} ms, max ${fmt(medianOf(runs[mode], "loopMaxMs"))} ms; ` +
      `join p50/p99 ${fmt(medianOf(runs[mode], "joinP50Ms"))}/${fmt(medianOf(runs[mode], "joinP99Ms"))} ms; ` +
      `first status p99 ${fmt(medianOf(runs[mode], "statusP99Ms"))} ms; probe result p99 ${fmt(medianOf(runs[mode], "doneP99Ms"))} ms; ` +
      `busy calls/window ${fmt(medianOf(runs[mode], "busyCalls"))}`;
    ctx.log(`  ${NAME} medians of ${RUNS}:\n    ${line("worker")}\n    ${line("inline")}`);
    const workerLoop = medianOf(runs.worker, "loopP99Ms");
    const checks: TargetCheck[] = [
      {
        name: "p99 event-loop delay, workers",
        goal: "< 20 ms",
        actual: `${fmt(workerLoop)} ms (inline: ${fmt(medianOf(runs.inline, "loopP99Ms"))} ms)`,
        pass: workerLoop < 20,
      },
      ratioCheck("p99 join latency, workers", medianOf(runs.worker, "joinP99Ms"), medianOf(runs.inline, "joinP99Ms")),
      ratioCheck(
        "p99 first status message, workers",
        medianOf(runs.worker, "statusP99Ms"),
        medianOf(runs.inline, "statusP99Ms"),
      ),
    ];
    return { name: NAME, title: TITLE, points: [], checks };
  },
};

/** Joins and status messages with workers: at most a tenth of the inline figure (robust to a loaded machine). */
function ratioCheck(name: string, worker: number, inline: number): TargetCheck {
  const known = !Number.isNaN(worker) && !Number.isNaN(inline);
  return {
    name,
    goal: "≤ 0.1× inline",
    actual: `${fmt(worker)} ms (inline: ${fmt(inline)} ms)`,
    pass: known ? worker <= inline / 10 : null,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// Run alone: node --conditions=usher-source --import tsx bench/scenarios/eventLoop.ts (the name checked
// too: in a bundle, bench/device/bundle.mjs, every module's import.meta.url is the bundle's).
const argv1 = process.argv[1];
if (argv1?.endsWith("eventLoop.ts") === true && import.meta.url === new URL(`file://${argv1}`).href) {
  const result = await eventLoop.run({ targets: ["usher"], client: "raw", timeScale: 1, log: (l) => console.log(l) });
  for (const c of result.checks)
    console.log(`${c.pass === true ? "PASS" : "FAIL"} ${c.name}: ${c.actual} (goal ${c.goal})`);
}
