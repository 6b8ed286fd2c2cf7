/**
 * The moving parts of the `scaleout` scenario: a set of front processes (one with the memory
 * store, or N on one Redis, each running its own jobs) and one measured point on such a set.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ClosedLoop, type LoadLoop } from "../load/ClosedLoop.ts";
import type { CpuReading } from "../load/CpuMeter.ts";
import { meteredRound, monitorRound, type MeteredRun } from "../load/meteredRound.ts";
import { envInteger } from "../load/envInteger.ts";
import { generatorCount, SplitLoop } from "../load/SplitLoop.ts";
import { SseTransport } from "../load/SseTransport.ts";
import type { Transport } from "../load/Transport.ts";
import { monitorFigures, redisReadingFigures } from "../report/redisFigures.ts";
import { summarize } from "../report/summarize.ts";
import type { ClusterChildSpec } from "../servers/clusterChild.ts";
import type { FunctionSpec, ServerSpec } from "../servers/ServerSpec.ts";
import { startClusterChild, type ClusterProcess } from "../servers/startClusterChild.ts";
import type { BenchContext, PointResult } from "./Scenario.ts";

/** The function every point serves: returns its input at once, so the fronts and Redis are the cost. */
export const IDENTITY: FunctionSpec = { kind: "identity" };
/**
 * Jobs one front runs at once (`USHER_BENCH_SCALEOUT_THREADS`, default 8); the queue's
 * concurrencyCount is this × the number of fronts. A job on Redis waits for several round trips,
 * so a front needs several in flight before its CPU, not the queue's limit, caps throughput.
 */
export function threadsPerFront(): number {
  return envInteger("USHER_BENCH_SCALEOUT_THREADS", 8, 1);
}

/**
 * How long a front keeps a session after its stream closed. A session that ends (a one-shot
 * visitor's) costs Redis commands when its grace runs out, 5 s later by default: a window then
 * counts the ends of the sessions of 5 s before, at that time's rate (a previous point's, or the
 * faster rounds before a MONITOR sample), not its own. 250 ms keeps each session's work inside
 * the window of its prediction; a closed-loop user comes back well within it.
 */
export const SESSION_GRACE_MS = 250;

/**
 * Today's store lets the sessions that ended go in one batch every 5 s (`ClusterSessionHub`'s
 * sweep), made at the pace of the 5 s before: a window of whole periods holds exactly one batch
 * per period, where a 4 s one holds 0 or 1 (±4 commands per prediction with fresh sessions), and
 * a window right after a faster round (MONITOR's, after the measured one) holds a batch of that
 * round's pace. See {@link PointPlan.wholeSweeps}.
 */
export const SESSION_SWEEP_MS = 5000;

/** Running front processes and where their queue lives. */
export interface FrontSet {
  /** "memory" or "N front(s)". */
  readonly name: string;
  readonly processes: readonly ClusterProcess[];
  /** Null: the memory store. */
  readonly redisUrl: string | null;
  readonly concurrencyCount: number;
}

/** Starts `fronts` front processes with local workers, on Redis under `keyPrefix` (or one on the memory store). */
export async function startFrontSet(
  fronts: number,
  redis: { readonly url: string; readonly keyPrefix: string } | null,
): Promise<FrontSet> {
  const spec: ClusterChildSpec = {
    role: "front",
    fn: IDENTITY,
    redis,
    concurrencyCount: threadsPerFront() * fronts,
    maxThreads: threadsPerFront(),
    localWorkers: true,
    sessionGraceMs: SESSION_GRACE_MS,
  };
  const started = await Promise.allSettled(Array.from({ length: fronts }, () => startClusterChild(spec)));
  const processes = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(processes.map((p) => p.stop()));
    throw failed.reason;
  }
  const name = redis === null ? "memory" : `${fronts} front${fronts > 1 ? "s" : ""}`;
  return { name, processes, redisUrl: redis?.url ?? null, concurrencyCount: spec.concurrencyCount };
}

/** Stops every process of the set. */
export async function stopFrontSet(set: FrontSet): Promise<void> {
  await Promise.all(set.processes.map((p) => p.stop()));
}

/**
 * Load that warms a set just started, before its first point: kept sessions for
 * `USHER_BENCH_SCALEOUT_WARM_MS` (default 3000), nothing measured. A point's own warm-up (1 s) is
 * not enough for the first point of a new set: each of N fresh processes gets 1/N of the load and
 * its code is still being compiled. At 2 fronts the first point (kept sessions) read 214–369 µs
 * of front CPU a prediction against 172–255 for the next one (fresh), where `frontCpu`, warmed,
 * reads kept ≤ fresh. Kept sessions, not fresh ones: the 50 sessions a warm-up leaves end in the
 * next sweep (see {@link SESSION_SWEEP_MS}), inside the first point's window, a few commands in
 * all; the thousands of one-shot sessions a fresh warm-up would leave would cost it more than one
 * command a prediction.
 */
export async function warmSet(ctx: BenchContext, set: FrontSet, users: number): Promise<void> {
  const warmMs = Math.round(envInteger("USHER_BENCH_SCALEOUT_WARM_MS", 3000, 0) * ctx.timeScale);
  if (warmMs === 0) return;
  const plan = { label: "warm-up", users, freshSession: false, warmupMs: warmMs, durationMs: 0, wholeSweeps: false };
  const loop = await loadFor(ctx, set, plan);
  try {
    await loop.round(warmMs, 0);
  } finally {
    loop.close();
  }
}

/** How one point loads a set. */
export interface PointPlan {
  readonly label: string;
  readonly users: number;
  /** A new session hash for every prediction (one-shot visitors) instead of one per user. */
  readonly freshSession: boolean;
  readonly warmupMs: number;
  readonly durationMs: number;
  /**
   * With fresh sessions on Redis: measure over whole sweep periods, and before the MONITOR round
   * and after it let a sweep period pass with the users paused, so that each window's batch of
   * ended sessions is its own round's (see {@link SESSION_SWEEP_MS}). Costs 11 s per point, so
   * the scenario sets it at time scales of 1 and more only (`--quick` is not for the record).
   */
  readonly wholeSweeps: boolean;
  /** Throughput and latency only: no MONITOR round (a repeated ratio pair, see the scenario). */
  readonly throughputOnly?: boolean;
}

/** A sweep period and a margin: the paused users' sessions have all been let go after it. */
const SWEEP_SETTLE_MS = SESSION_SWEEP_MS + 500;

/**
 * One point: users spread round-robin over the set's fronts, one measured round (throughput,
 * latency, Redis's counters, the fronts' CPU), then on Redis a MONITOR sample round.
 */
export async function measureSet(ctx: BenchContext, set: FrontSet, plan: PointPlan): Promise<PointResult> {
  const server: ServerSpec = { fn: IDENTITY, concurrencyCount: set.concurrencyCount, maxSize: null };
  const wholeSweeps = plan.wholeSweeps && plan.freshSession && set.redisUrl !== null;
  const durationMs = wholeSweeps ? Math.ceil(plan.durationMs / SESSION_SWEEP_MS) * SESSION_SWEEP_MS : plan.durationMs;
  const load = { mode: "closed" as const, users: plan.users, warmupMs: plan.warmupMs, durationMs };
  const pids = set.processes.map((p) => p.pid);
  let loop: LoadLoop | null = null;
  try {
    loop = await loadFor(ctx, set, plan);
    const measured = await meteredRound(loop, plan.warmupMs, durationMs, pids, set.redisUrl);
    const completed = measured.run.records.filter((r) => r.outcome === "completed").length;
    let extra: Record<string, number | null> = {
      fronts_cpu_us_per_pred:
        measured.serversCpuMs === null || completed === 0
          ? null
          : Math.round((measured.serversCpuMs * 1000) / completed),
      ...(measured.redis === null ? {} : redisReadingFigures(measured.redis, completed)),
    };
    if (set.redisUrl !== null && plan.throughputOnly !== true) {
      if (wholeSweeps) await sleep(SWEEP_SETTLE_MS);
      const { sample, completed } = await monitorRound(loop, pids, set.redisUrl);
      extra = { ...extra, ...monitorFigures(sample, completed) };
      if (wholeSweeps) await sleep(SWEEP_SETTLE_MS);
    }
    const stats = summarize({ ...measured.run, cpu: splitCpu(measured) }, extra);
    ctx.log(
      `  scaleout ${plan.label}: ${stats.throughputPerS.toFixed(0)}/s, p50 ${stats.latency?.p50Ms.toFixed(2) ?? "-"} ms, ` +
        Object.entries(extra)
          .map(([k, v]) => `${k}=${v ?? "-"}`)
          .join(" "),
    );
    return { label: plan.label, server, load, runs: { usher: { ok: true, stats } } };
  } catch (e) {
    return { label: plan.label, server, load, runs: { usher: { ok: false, error: (e as Error).message } } };
  } finally {
    loop?.close();
  }
}

/**
 * The users of a point, spread round-robin over the set's fronts: in this process, or over
 * `USHER_BENCH_GENERATORS` processes ({@link SplitLoop}) where one cannot drive the fronts.
 */
async function loadFor(ctx: BenchContext, set: FrontSet, plan: PointPlan): Promise<LoadLoop> {
  const urls = set.processes.map((p) => p.url);
  const generators = generatorCount();
  if (generators > 1)
    return SplitLoop.start(
      { protocol: "sse", urls, users: plan.users, freshSession: plan.freshSession, client: ctx.client },
      generators,
    );
  const fronts = urls.map((url) => new SseTransport(url, { client: ctx.client, freshSession: plan.freshSession }));
  const transport: Transport = {
    name: "sse",
    createUser: (i) => (fronts[i % fronts.length] as SseTransport).createUser(i),
  };
  return new ClosedLoop(transport, { users: plan.users });
}

/**
 * The generator's CPU reading with the fronts as "server" and the fronts and Redis taken out of
 * "other", which is then what the system under test did not use (other sessions on the machine).
 */
function splitCpu(measured: MeteredRun): CpuReading | null {
  const cpu = measured.run.cpu;
  if (cpu === null) return null;
  const serverCpu = measured.serversCpuMs === null ? null : measured.serversCpuMs / cpu.wallMs;
  const redisCpu = measured.redis === null ? 0 : measured.redis.cpuMs / cpu.wallMs;
  const otherCpu = cpu.otherCpu === null ? null : Math.max(0, cpu.otherCpu - (serverCpu ?? 0) - redisCpu);
  return { ...cpu, serverCpu, otherCpu };
}
