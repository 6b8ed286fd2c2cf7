/**
 * Closed-loop rounds with Redis's own counters around their windows: a measured round (throughput,
 * latency, {@link RedisMeter}, the server processes' CPU) and a MONITOR sample round (round trips;
 * MONITOR slows Redis and the generator, so that round's throughput is thrown away).
 */
import type { ClosedLoop, LoadRun } from "./ClosedLoop.ts";
import { CpuMeter, readProcessCpuMs } from "./CpuMeter.ts";
import { RedisMeter, type RedisReading } from "./RedisMeter.ts";
import { RedisMonitor, type MonitorSample } from "./RedisMonitor.ts";

/** What a {@link meteredRound} saw. */
export interface MeteredRun {
  readonly run: LoadRun;
  /** Null when no Redis URL was given. */
  readonly redis: RedisReading | null;
  /** CPU time of the server processes over the window, ms (summed over them; null off Linux). */
  readonly serversCpuMs: number | null;
}

/** Sum of the CPU times of `pids`, ms; null if any is unreadable. */
function serversCpuMs(pids: readonly number[]): number | null {
  let total = 0;
  for (const pid of pids) {
    const ms = readProcessCpuMs(pid);
    if (ms === null) return null;
    total += ms;
  }
  return total;
}

/**
 * One round of `loop` (warm-up, then the window) with the generator's CPU meter, Redis's counters
 * (when `redisUrl` is given) and the CPU of `pids` read at the window's edges.
 */
export async function meteredRound(
  loop: ClosedLoop,
  warmupMs: number,
  durationMs: number,
  pids: readonly number[],
  redisUrl: string | null,
): Promise<MeteredRun> {
  const redis = redisUrl === null ? null : new RedisMeter(redisUrl);
  let startCpuMs: number | null = null;
  let endCpuMs: number | null = null;
  const opened = setTimeout(() => {
    redis?.start();
    startCpuMs = serversCpuMs(pids);
  }, warmupMs);
  let stopRedis: Promise<RedisReading | null> = Promise.resolve(null);
  const closed = setTimeout(() => {
    endCpuMs = serversCpuMs(pids);
    if (redis !== null) stopRedis = redis.stop();
    stopRedis.catch(() => undefined); // reported below
  }, warmupMs + durationMs);
  try {
    const run = await loop.round(warmupMs, durationMs, new CpuMeter());
    const reading = await stopRedis;
    const cpuMs = startCpuMs === null || endCpuMs === null ? null : endCpuMs - (startCpuMs as number);
    return { run, redis: reading, serversCpuMs: cpuMs };
  } finally {
    clearTimeout(opened);
    clearTimeout(closed);
    redis?.close();
  }
}

/**
 * One round of `loop` whose window is a MONITOR sample over the Redis connections of `pids`;
 * `completed` counts the predictions that completed inside the sample's own window.
 */
export async function monitorRound(
  loop: ClosedLoop,
  warmupMs: number,
  durationMs: number,
  pids: readonly number[],
  redisUrl: string,
): Promise<{ readonly run: LoadRun; readonly sample: MonitorSample; readonly completed: number }> {
  let monitor: Promise<RedisMonitor> | null = null;
  const opened = setTimeout(() => {
    monitor = RedisMonitor.start(redisUrl, pids);
    monitor.catch(() => undefined); // reported below
  }, warmupMs);
  let sample: Promise<MonitorSample> | null = null;
  const closed = setTimeout(() => {
    sample = monitor?.then((m) => m.stop()) ?? null;
    sample?.catch(() => undefined); // reported below
  }, warmupMs + durationMs);
  try {
    const run = await loop.round(warmupMs, durationMs);
    if (sample === null) throw new Error("the MONITOR window never closed");
    const seen = await (sample as Promise<MonitorSample>);
    const completed = run.records.filter(
      (r) => r.outcome === "completed" && r.endedMs !== null && r.endedMs >= seen.startMs && r.endedMs <= seen.endMs,
    ).length;
    return { run, sample: seen, completed };
  } finally {
    clearTimeout(opened);
    clearTimeout(closed);
  }
}
