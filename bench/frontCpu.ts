/**
 * CPU per prediction of the fronts on Redis (local workers, the `scaleout` scenario's processes;
 * one each by default, `--fronts=N`), Redis's own (each round loads one side only, so Redis's CPU
 * in it is that side's) and throughput, this tree against another checkout's (`--baseline=DIR`,
 * spawned by that checkout's own bench/servers; `--baseline-fronts=M` gives it another count, e.g.
 * 2 fronts against 1), in alternating timed rounds under the same load: closed-loop users on
 * sse_v3, from K generator processes ({@link SplitLoop}). Each side has a key prefix of its own on
 * the same Redis; the keys are deleted at the end. Each front runs its checkout's built package,
 * which this script first builds where it is stale (`scripts/ensure-dist.mjs` of each checkout).
 *
 *   node --conditions=usher-source --import tsx bench/frontCpu.ts --baseline=DIR [--users=50] \
 *     [--pattern=fresh] [--rounds=12] [--round-ms=3000] [--generators=2] [--fronts=1] \
 *     [--baseline-fronts=N] [--baseline-split] [--redis-cpu=CORES | --url=redis://127.0.0.1:6379] \
 *     [--orders=both|baseline-first|usher-first]
 *
 * `--baseline-split` gives each of the baseline's fronts a queue of its own (a key prefix each, 8
 * slots each): the same processes and load with nothing shared, so that against `--baseline=.`
 * the ratios are what sharing one queue costs (jobs that cross fronts, wake-ups).
 *
 * `--redis-cpu=0.3` runs both sides on a private Redis held to 0.3 of a core ({@link startCappedRedis}):
 * Redis, not the fronts, is then the limit, as with many fronts on one Redis (item 4), and
 * throughput is the cap over Redis's CPU per prediction.
 *
 * Why rounds and the median of their ratios: on a 2 vCPU VM a Redis front's CPU per prediction
 * moves by a third from one 3 s round to the next (128 to 400 µs seen, where the in-memory process
 * moves 74 to 95), with the batches the kernel's timing makes; one `scaleout` reading cannot tell
 * a change of 5%. Each run's two processes keep a bias of their own too (their rounds' ratios
 * cluster, 0.89 in one run and 1.02 in the next for the same pair), and the one started second
 * tends to read cheaper: a change with no effect read 0.89–0.96× started second and 1.05–1.07×
 * started first (2026-12-07). So by default (`--orders=both`) it runs twice on fresh processes,
 * each side starting first once, and prints the geometric mean of the two runs' ratios, in which
 * that bias cancels; `--orders=baseline-first` (or `usher-first`) makes one run. `BENCH_NODE_ARGS` reaches both fronts; `BENCH_NODE_ARGS_BASELINE`, when set,
 * the baseline's instead (a V8 flag against none, with the same code on both sides).
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { argValue } from "./load/argValue.ts";
import { readProcessCpuMs } from "./load/CpuMeter.ts";
import { RedisMeter } from "./load/RedisMeter.ts";
import { deleteRedisKeys } from "./load/deleteRedisKeys.ts";
import { SplitLoop } from "./load/SplitLoop.ts";
import { startCappedRedis } from "./load/CappedRedis.ts";
import { median, roundPairs } from "./report/summarize.ts";
import type { FrontSet } from "./scenarios/scaleoutPoint.ts";

const baseline = argValue("baseline", "");
if (baseline === "") throw new Error("--baseline=DIR: the checkout to compare with");
const users = Number(argValue("users", "50"));
const fresh = argValue("pattern", "fresh") === "fresh";
const rounds = Number(argValue("rounds", "12"));
const roundMs = Number(argValue("round-ms", "3000"));
const generators = Number(argValue("generators", "2"));
const fronts = Number(argValue("fronts", "1"));
const baselineFronts = Number(argValue("baseline-fronts", String(fronts)));
const baselineSplit = process.argv.includes("--baseline-split");
const redisCpu = argValue("redis-cpu", "");
/** Which side starts first in each run: the process started second reads a few % cheaper (see the file comment). */
const orders: Side["name"][] = (() => {
  const v = argValue("orders", "both");
  if (v === "both") return ["baseline", "usher"];
  if (v === "baseline-first") return ["baseline"];
  if (v === "usher-first") return ["usher"];
  throw new TypeError(`--orders takes both, baseline-first or usher-first, got ${v}`);
})();
const capped = redisCpu === "" ? null : await startCappedRedis(Number(redisCpu));
const url = capped?.url ?? argValue("url", "redis://127.0.0.1:6379");

interface Side {
  readonly name: "usher" | "baseline";
  readonly set: FrontSet;
  readonly stop: () => Promise<void>;
  readonly loop: SplitLoop;
  readonly prefix: string;
  readonly cpuUs: number[];
  /** Redis's CPU per prediction in the side's rounds (only that side's users run in them). */
  readonly redisUs: number[];
  /** Time inside script calls per prediction (commandstats `usec`). */
  readonly scriptUs: number[];
  /** Script and function calls (batches) per prediction. */
  readonly batches: number[];
  readonly perS: number[];
  /** Commands Redis counted per prediction (Lua-internal included). */
  readonly cmds: number[];
}

type SetModule = typeof import("./scenarios/scaleoutPoint.ts");

/** Builds `dir`'s dist/ when it is missing or stale (its own scripts/ensure-dist.mjs). */
function ensureDist(dir: string): void {
  const r = spawnSync(process.execPath, [resolve(dir, "scripts/ensure-dist.mjs")], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`building ${dir}'s dist/ failed`);
}

async function startSide(name: Side["name"], dir: string): Promise<Side> {
  ensureDist(dir);
  const module = (await import(pathToFileURL(resolve(dir, "bench/scenarios/scaleoutPoint.ts")).href)) as SetModule;
  const prefix = `usher-bench:${process.pid}:front-${name}:`;
  const own = name === "baseline" ? process.env["BENCH_NODE_ARGS_BASELINE"] : undefined;
  const shared = process.env["BENCH_NODE_ARGS"];
  if (own !== undefined) process.env["BENCH_NODE_ARGS"] = own;
  const n = name === "baseline" ? baselineFronts : fronts;
  const set = await startSet(module, n, prefix, name === "baseline" && baselineSplit).finally(() => {
    if (shared === undefined) delete process.env["BENCH_NODE_ARGS"];
    else process.env["BENCH_NODE_ARGS"] = shared;
  });
  const urls = set.processes.map((p) => p.url);
  const stop = (): Promise<void> => module.stopFrontSet(set);
  const loop = await SplitLoop.start(
    { protocol: "sse", urls, users, freshSession: fresh, client: "raw" },
    generators,
  ).catch(async (e: unknown) => {
    await stop();
    await deleteRedisKeys(url, prefix);
    throw e;
  });
  return { name, set, stop, loop, prefix, cpuUs: [], redisUs: [], scriptUs: [], batches: [], perS: [], cmds: [] };
}

/** `n` fronts on one queue under `prefix`, or (`split`) each on a queue of its own under `prefix` + its number. */
async function startSet(module: SetModule, n: number, prefix: string, split: boolean): Promise<FrontSet> {
  if (!split) return module.startFrontSet(n, { url, keyPrefix: prefix });
  const sets: FrontSet[] = [];
  try {
    for (let k = 0; k < n; k++) sets.push(await module.startFrontSet(1, { url, keyPrefix: `${prefix}${k}:` }));
  } catch (e) {
    await Promise.all(sets.map((s) => module.stopFrontSet(s)));
    throw e;
  }
  const first = sets[0] as FrontSet;
  return { ...first, name: `${n} fronts, a queue each`, processes: sets.flatMap((s) => s.processes) };
}

/** One timed round on `side`: its front's and Redis's CPU per completed prediction, and its throughput. */
async function round(side: Side, meter: RedisMeter): Promise<void> {
  const cpuMs = (): number => side.set.processes.reduce((sum, p) => sum + (readProcessCpuMs(p.pid) ?? Number.NaN), 0);
  const before = cpuMs();
  meter.start();
  const run = await side.loop.round(0, roundMs);
  const after = cpuMs();
  const redis = await meter.stop();
  const done = Math.max(1, run.records.filter((r) => r.outcome === "completed").length);
  side.cpuUs.push(((after - before) * 1000) / done);
  side.redisUs.push((redis.cpuMs * 1000) / done);
  side.scriptUs.push(redis.scriptUs / done);
  side.batches.push(redis.scriptCalls / done);
  side.perS.push(done / (roundMs / 1000));
  side.cmds.push(redis.calls / done);
}

/** The medians of one run's round ratios, usher over baseline. */
interface RunRatios {
  readonly cpu: number;
  readonly perS: number;
  readonly redis: number;
}

/** The median of the rounds' ratios of `pick` between the sides, and its line. */
function ratioLine(what: string, a: Side, b: Side, pick: (s: Side) => number[]): { value: number; line: string } {
  const ratios = roundPairs(pick(b), pick(a), (x, y) => x / y);
  const value = median(ratios);
  return {
    value,
    line: `usher / baseline, ${what}: ${value.toFixed(3)} (median of ${ratios.length} rounds: ${ratios.map((x) => x.toFixed(2)).join(" ")})`,
  };
}

/**
 * One run: both sides started (the one named by `first` first), warmed, then `rounds` alternating
 * rounds; prints each side's figures and the ratios, stops both and deletes their keys.
 */
async function run(first: Side["name"], meter: RedisMeter): Promise<RunRatios> {
  const sides: Side[] = [];
  try {
    const order: Side["name"][] = first === "baseline" ? ["baseline", "usher"] : ["usher", "baseline"];
    for (const name of order) sides.push(await startSide(name, name === "baseline" ? baseline : "."));
    for (const s of sides) await s.loop.round(0, 2000);
    for (let r = 0; r < rounds; r++) for (const s of r % 2 === 0 ? sides : [...sides].reverse()) await round(s, meter);
    const a = sides.find((s) => s.name === "baseline") as Side;
    const b = sides.find((s) => s.name === "usher") as Side;
    console.log(`-- ${first} started first`);
    for (const s of [a, b]) {
      const cpu = s.cpuUs.map((x) => x.toFixed(0)).join(" ");
      console.log(
        `${s.name.padEnd(8)} ${s.set.processes.length} front(s), ${fresh ? "fresh" : "kept"} ${users} users: ` +
          `${median(s.cpuUs).toFixed(1)} µs CPU/prediction ` +
          `(rounds: ${cpu}), ${median(s.perS).toFixed(0)}/s; Redis ${median(s.redisUs).toFixed(1)} µs CPU/prediction, ` +
          `${median(s.scriptUs).toFixed(1)} µs in scripts, ${median(s.batches).toFixed(2)} script calls, ` +
          `${median(s.cmds).toFixed(1)} commands`,
      );
    }
    const cpu = ratioLine("CPU per prediction", a, b, (s) => s.cpuUs);
    const perS = ratioLine("throughput", a, b, (s) => s.perS);
    const redis = ratioLine("Redis CPU per prediction", a, b, (s) => s.redisUs);
    console.log(cpu.line);
    console.log(perS.line + (capped === null ? "" : `; Redis held to ${capped.cores} of a core`));
    console.log(redis.line);
    return { cpu: cpu.value, perS: perS.value, redis: redis.value };
  } finally {
    for (const s of sides) {
      s.loop.close();
      await s.stop();
      await deleteRedisKeys(url, s.prefix);
    }
  }
}

const meter = new RedisMeter(url);
try {
  const runs: RunRatios[] = [];
  for (const first of orders) runs.push(await run(first, meter));
  if (runs.length > 1) {
    // Each start order's bias cancels in the geometric mean of the two runs' ratios.
    const mean = (pick: (r: RunRatios) => number): string =>
      Math.exp(runs.reduce((sum, r) => sum + Math.log(pick(r)), 0) / runs.length).toFixed(3);
    console.log(
      `both orders (geometric mean of the runs' ratios): CPU per prediction ${mean((r) => r.cpu)}, ` +
        `throughput ${mean((r) => r.perS)}, Redis CPU per prediction ${mean((r) => r.redis)}`,
    );
  }
} finally {
  meter.close();
  await capped?.stop();
}
