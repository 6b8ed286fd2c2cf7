/**
 * Closed-loop rounds with Redis's own counters around their windows: a measured round (throughput,
 * latency, {@link RedisMeter}, the server processes' CPU) and a MONITOR sample round (round trips;
 * MONITOR slows Redis and the generator, so that round's throughput is thrown away).
 *
 * Some of a prediction's Redis work may run later and in batches (today's store lets ended
 * sessions go every 5 s, thousands of commands at once): a window's counts hold the batches that
 * fell inside it, made at the pace of the 5 s before. Redis's counters over a 4 s window carry
 * that noise (±4 commands per prediction with fresh sessions); the MONITOR sample also gives the
 * steady part alone (`topLevelMedianPerS`).
 */
import type { LoadLoop, LoadRun } from "./ClosedLoop.ts";
import { CpuMeter, readProcessCpuMs } from "./CpuMeter.ts";
import { RedisMeter, type RedisReading } from "./RedisMeter.ts";
import { RedisMonitor, type MonitorSample } from "./RedisMonitor.ts";

/** How long MONITOR runs before its window opens, ms: it slows the servers, which must settle at their new pace. */
export const MONITOR_SETTLE_MS = 1000;

/** The MONITOR sample's window, ms: twenty 100 ms bins for `topLevelMedianPerS`. */
export const MONITOR_SAMPLE_MS = 2000;

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
  loop: LoadLoop,
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
  let stopRedis: Promise<RedisReading | null> | null = null;
  const closeWindow = (): void => {
    clearTimeout(closed);
    if (stopRedis !== null) return;
    endCpuMs = serversCpuMs(pids);
    stopRedis = redis === null ? Promise.resolve(null) : redis.stop();
    stopRedis.catch(() => undefined); // reported below
  };
  const closed = setTimeout(closeWindow, warmupMs + durationMs);
  try {
    const run = await loop.round(warmupMs, durationMs, new CpuMeter());
    // Timers may fire a few ms late: with one fast user the round can end first.
    closeWindow();
    const reading = await (stopRedis as Promise<RedisReading | null> | null);
    const cpuMs = startCpuMs === null || endCpuMs === null ? null : endCpuMs - (startCpuMs as number);
    return { run, redis: reading, serversCpuMs: cpuMs };
  } finally {
    clearTimeout(opened);
    clearTimeout(closed);
    redis?.close();
  }
}

/**
 * One round of `loop` under MONITOR (over the Redis connections of `pids`): MONITOR opens before
 * the round, the warm-up ({@link MONITOR_SETTLE_MS}) lets the servers settle at their slower pace
 * under it, and the sample counts the window ({@link MONITOR_SAMPLE_MS}) only; `completed`
 * counts the predictions that completed inside the sample's own window.
 */
export async function monitorRound(
  loop: LoadLoop,
  pids: readonly number[],
  redisUrl: string,
  settleMs = MONITOR_SETTLE_MS,
  durationMs = MONITOR_SAMPLE_MS,
): Promise<{ readonly run: LoadRun; readonly sample: MonitorSample; readonly completed: number }> {
  const monitor = await RedisMonitor.start(redisUrl, pids);
  let sample: MonitorSample | null = null;
  const opened = setTimeout(() => monitor.restart(), settleMs);
  const closed = setTimeout(() => (sample = monitor.stop()), settleMs + durationMs);
  try {
    const run = await loop.round(settleMs, durationMs);
    // The round ends after its window; the stop timer has fired unless the timers lagged badly.
    const seen = (sample as MonitorSample | null) ?? monitor.stop();
    const completed = run.records.filter(
      (r) => r.outcome === "completed" && r.endedMs !== null && r.endedMs >= seen.startMs && r.endedMs <= seen.endMs,
    ).length;
    return { run, sample: seen, completed };
  } finally {
    clearTimeout(opened);
    clearTimeout(closed);
    monitor.close();
  }
}
