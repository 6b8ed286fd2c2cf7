/**
 * Scenario "redis": what sharing the queue through Redis costs and what it buys.
 *
 * 1. Added latency: the identity function, one closed-loop user, against one Usher process with
 *    the in-memory store and one with the Redis store (local workers): the difference of their
 *    median latencies is what Redis adds per job (target ≤ 2 ms).
 * 2. Scale-out: a function that waits 100 ms (I/O-bound), 128 closed-loop users spread over the
 *    fronts, with 1 front + 1 worker and with 2 fronts + 2 workers (fronts run no jobs; each
 *    worker runs at most 32 at once; concurrencyCount 1000, so the workers are the limit).
 *    Throughput should double (target ≥ 1.8×).
 *
 * The 1-user Redis point also reports Redis's own counts per prediction (commands, CPU, and the
 * round trips of a MONITOR sample in a window of its own; see `bench/report/redisFigures.ts`).
 *
 * It needs Redis on USHER_BENCH_REDIS_URL (default redis://127.0.0.1:6379) and uses a key prefix
 * of its own, deleted afterwards. Only the "usher" target runs here (the floor has no Redis).
 */
import { ClosedLoop, type LoadRun } from "../load/ClosedLoop.ts";
import { deleteRedisKeys } from "../load/deleteRedisKeys.ts";
import { meteredRound, monitorRound } from "../load/meteredRound.ts";
import { sumReadings, type RedisReading } from "../load/RedisMeter.ts";
import { SseTransport } from "../load/SseTransport.ts";
import type { Transport } from "../load/Transport.ts";
import { monitorFigures, redisReadingFigures } from "../report/redisFigures.ts";
import { summarize, summarizeLatency, latencyMs, type RunStats } from "../report/summarize.ts";
import type { ClusterChildSpec } from "../servers/clusterChild.ts";
import { startClusterChild, type ClusterProcess } from "../servers/startClusterChild.ts";
import type { FunctionSpec } from "../servers/ServerSpec.ts";
import { checkValue, ms, ratio, times } from "./checks.ts";
import {
  DURATION_MS,
  WARMUP_MS,
  type BenchContext,
  type PointResult,
  type Scenario,
  type TargetCheck,
} from "./Scenario.ts";

const NAME = "redis";
const TITLE = "Scale-out: Redis store against memory, and 1 against 2 fronts + workers";
const REDIS_URL = process.env["USHER_BENCH_REDIS_URL"] ?? "redis://127.0.0.1:6379";
const IO_USERS = 128;
const WORKER_THREADS = 32;
const ROUNDS = 2;

/** See the file comment. */
export const redis: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    "Identity function, 1 closed-loop user: median latency with the Redis store minus with the memory store " +
    "(target ≤ 2 ms). A 100 ms I/O-bound function, 128 users, workers of 32 slots: throughput with 2 fronts + " +
    "2 workers against 1 + 1 (target ≥ 1.8×). Needs Redis (USHER_BENCH_REDIS_URL).",
  async run(ctx) {
    const scale = ctx.timeScale;
    const prefix = `usher-bench:${process.pid}:`;
    const points: PointResult[] = [];
    try {
      const identity: FunctionSpec = { kind: "identity" };
      for (const store of ["memory", "redis"] as const) {
        const label = `1 user, ${store} store`;
        points.push(
          await measure(
            ctx,
            label,
            identity,
            1,
            [
              {
                role: "front",
                fn: identity,
                redis: store === "memory" ? null : { url: REDIS_URL, keyPrefix: `${prefix}lat:` },
                concurrencyCount: 1,
                maxThreads: 40,
                localWorkers: true,
              },
            ],
            scale,
          ),
        );
      }
      const io: FunctionSpec = { kind: "sleep", sleepMs: 100 };
      for (const n of [1, 2]) {
        const keyPrefix = `${prefix}io${n}:`;
        const specs: ClusterChildSpec[] = [];
        for (let i = 0; i < n; i++)
          specs.push({
            role: "front",
            fn: io,
            redis: { url: REDIS_URL, keyPrefix },
            concurrencyCount: 1000,
            maxThreads: WORKER_THREADS,
            localWorkers: false,
          });
        for (let i = 0; i < n; i++)
          specs.push({
            role: "worker",
            fn: io,
            redis: { url: REDIS_URL, keyPrefix },
            concurrencyCount: 1000,
            maxThreads: WORKER_THREADS,
            localWorkers: false,
          });
        points.push(
          await measure(
            ctx,
            `${n} front${n > 1 ? "s" : ""} + ${n} worker${n > 1 ? "s" : ""}`,
            io,
            IO_USERS,
            specs,
            scale,
          ),
        );
      }
    } finally {
      await deleteRedisKeys(REDIS_URL, prefix);
    }
    const p50 = (label: string): number | null => statsAt(points, label)?.latency?.p50Ms ?? null;
    const memory = p50("1 user, memory store");
    const redisP50 = p50("1 user, redis store");
    const added = memory === null || redisP50 === null ? null : redisP50 - memory;
    const checks: TargetCheck[] = [
      checkValue("added p50 latency @1 user (redis − memory)", "≤ 2 ms", added, (x) => x <= 2, ms),
      checkValue(
        "throughput 2+2 against 1+1 (100 ms I/O)",
        "≥ 1.8×",
        ratio(
          statsAt(points, "2 fronts + 2 workers")?.throughputPerS,
          statsAt(points, "1 front + 1 worker")?.throughputPerS,
        ),
        (x) => x >= 1.8,
        times,
      ),
    ];
    return { name: NAME, title: TITLE, points, checks };
  },
};

function statsAt(points: readonly PointResult[], label: string): RunStats | null {
  const run = points.find((p) => p.label === label)?.runs.usher;
  return run?.ok === true ? run.stats : null;
}

/** Starts the processes, runs ROUNDS closed-loop rounds spread over the fronts, stops them. */
async function measure(
  ctx: BenchContext,
  label: string,
  fn: FunctionSpec,
  users: number,
  specs: readonly ClusterChildSpec[],
  scale: number,
): Promise<PointResult> {
  const load = {
    mode: "closed" as const,
    users,
    warmupMs: Math.round(WARMUP_MS * scale),
    durationMs: Math.round(DURATION_MS * scale),
  };
  const server = { fn, concurrencyCount: specs[0]?.concurrencyCount ?? 1, maxSize: null };
  const children: ClusterProcess[] = [];
  try {
    children.push(...(await Promise.all(specs.map((s) => startClusterChild(s)))));
    const fronts = children
      .filter((c) => c.url !== "worker")
      .map((c) => new SseTransport(c.url, { client: ctx.client }));
    const transport: Transport = {
      name: "sse",
      createUser: (i) => (fronts[i % fronts.length] as SseTransport).createUser(i),
    };
    // Redis's own counts at the 1-user point only: the scale-out points are about throughput.
    const redisUrl = users === 1 && specs[0]?.redis != null ? REDIS_URL : null;
    const pids = children.map((c) => c.pid);
    const loop = new ClosedLoop(transport, { users });
    try {
      const runs: LoadRun[] = [];
      const readings: RedisReading[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const { run, redis } = await meteredRound(loop, load.warmupMs, load.durationMs, pids, redisUrl);
        runs.push(run);
        if (redis !== null) readings.push(redis);
        const s = summarize(run);
        ctx.log(
          `  ${NAME} ${label} round ${round + 1}/${ROUNDS}: ${s.throughputPerS.toFixed(1)}/s, p50 ${s.latency?.p50Ms.toFixed(2) ?? "-"} ms`,
        );
      }
      let extra: Record<string, number | null> = {};
      if (redisUrl !== null) {
        extra = redisReadingFigures(sumReadings(readings), completedIn(runs));
        const { sample, completed } = await monitorRound(loop, pids, redisUrl);
        extra = { ...extra, ...monitorFigures(sample, completed) };
        ctx.log(
          `  ${NAME} ${label}: ${Object.entries(extra)
            .map(([k, v]) => `${k}=${v ?? "-"}`)
            .join(" ")}`,
        );
      }
      return { label, server, load, runs: { usher: { ok: true, stats: { ...combine(runs), extra } } } };
    } finally {
      loop.close();
    }
  } catch (e) {
    return { label, server, load, runs: { usher: { ok: false, error: (e as Error).message } } };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

function completedIn(runs: readonly LoadRun[]): number {
  return runs.reduce((t, r) => t + r.records.filter((rec) => rec.outcome === "completed").length, 0);
}

/** Every round's records count for latency; throughput is the best round's (outside load only slows a round). */
function combine(runs: readonly LoadRun[]): RunStats {
  const all: LoadRun = {
    records: runs.flatMap((r) => r.records),
    windowMs: runs.reduce((t, r) => t + r.windowMs, 0),
    cpu: null,
  };
  const stats = summarize(all);
  const rounds = runs.map((r) => summarize(r).throughputPerS);
  const latencies = all.records.map(latencyMs).filter((x): x is number => x !== null);
  return { ...stats, latency: summarizeLatency(latencies), throughputPerS: Math.max(...rounds), rounds };
}
