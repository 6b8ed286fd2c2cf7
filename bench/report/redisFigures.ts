/**
 * Redis's work per prediction, as the `extra` figures of a point: what Redis counted during the
 * measured window ({@link RedisReading}) and what a MONITOR sample attributed to the servers under
 * test ({@link MonitorSample}), each divided by the predictions completed in its own window.
 */
import type { RedisReading } from "../load/RedisMeter.ts";
import type { MonitorSample } from "../load/RedisMonitor.ts";

/** How many of the most frequent commands a MONITOR sample gives a figure of their own. */
const TOP_COMMANDS = 6;
/** Redis's counters give every command called at least this often per prediction a figure. */
const MIN_CALLS_PER_PRED = 0.01;

/** Rounds to 2 decimals: the figures are read by people, and the JSON stays short. */
const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Figures from Redis's counters over a window in which `completed` predictions completed:
 * `redis_cmds_per_pred` (commandstats calls, scripts' own calls included),
 * `redis_processed_per_pred` (total_commands_processed: commands read from clients),
 * `redis_cpu_us_per_pred`, `redis_cpu` (fraction of a core) and the calls of every command called
 * at least {@link MIN_CALLS_PER_PRED} times per prediction, most frequent first (`calls_<name>`),
 * all per prediction.
 */
export function redisReadingFigures(reading: RedisReading, completed: number): Record<string, number | null> {
  if (completed <= 0) return { redis_cmds_per_pred: null };
  const figures: Record<string, number | null> = {
    redis_cmds_per_pred: round2(reading.calls / completed),
    redis_processed_per_pred: round2(reading.processed / completed),
    redis_cpu_us_per_pred: round2((reading.cpuMs * 1000) / completed),
    redis_cpu: round2(reading.cpuMs / Math.max(1, reading.wallMs)),
  };
  const called = Object.entries(reading.callsByCommand)
    .filter(([, calls]) => calls / completed >= MIN_CALLS_PER_PRED)
    .sort((a, b) => b[1] - a[1]);
  for (const [name, calls] of called) figures[`calls_${name}`] = round2(calls / completed);
  return figures;
}

/**
 * Figures from a MONITOR sample in whose window `completed` predictions completed:
 * `round_trips_per_pred` (commands the servers sent, a batch of script calls counted as its
 * calls: each is one step of a prediction's path; a pipeline or MULTI/EXEC counts each of
 * its commands), `commands_sent_per_pred` (commands as Redis received them), `round_trips_steady_per_pred` (the same from the median 100 ms of the window,
 * so without work done in batches, such as ended sessions let go every 5 s: the hot path's share,
 * assuming predictions complete at an even pace through the window), `lua_cmds_per_pred` (their scripts' calls), `monitor_preds` (the sample's size)
 * and `other_clients_cmds_per_s` (other clients of a shared Redis, which the commandstats figures
 * include).
 */
export function monitorFigures(sample: MonitorSample, completed: number): Record<string, number | null> {
  const perPred = (x: number): number | null => (completed > 0 ? round2(x / completed) : null);
  const figures: Record<string, number | null> = {
    round_trips_per_pred: perPred(sample.calls),
    round_trips_steady_per_pred:
      sample.callsMedianPerS === null ? null : perPred((sample.callsMedianPerS * sample.wallMs) / 1000),
    commands_sent_per_pred: perPred(sample.topLevel),
    lua_cmds_per_pred: perPred(sample.lua),
    monitor_preds: completed,
    other_clients_cmds_per_s: Math.round((sample.others * 1000) / Math.max(1, sample.wallMs)),
  };
  if (sample.truncated) figures["monitor_truncated"] = 1;
  const top = Object.entries(sample.topLevelByCommand)
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_COMMANDS);
  for (const [name, count] of top) figures[`sent_${name}`] = perPred(count);
  return figures;
}
