/** Turns a load run's records into the figures the report shows. */
import type { CpuReading } from "../load/CpuMeter.ts";
import type { LoadRun } from "../load/runClosedLoop.ts";
import type { RequestRecord } from "../load/Transport.ts";

/** Latency percentiles of completed predictions (join sent → `process_completed` received), ms. */
export interface LatencySummary {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

/** The figures of one target at one point of a scenario. */
export interface RunStats {
  /** Predictions counted (ended inside the window). */
  readonly requests: number;
  readonly completed: number;
  /** Joins refused with 503. */
  readonly refused: number;
  /** Everything else that did not complete: failed + error + timeout + lost. */
  readonly errors: number;
  readonly failed: number;
  readonly timeouts: number;
  readonly lost: number;
  /** Completed predictions per second over the window. */
  readonly throughputPerS: number;
  /** Null when nothing completed. */
  readonly latency: LatencySummary | null;
  readonly windowMs: number;
  readonly cpu: CpuReading | null;
  /** The first few distinct error messages, for diagnosis. */
  readonly errorSamples: readonly string[];
  /** Scenario-specific figures (burst, streaming...). */
  readonly extra: Readonly<Record<string, number | null>>;
  /** Throughput of each round (completed per second), in the order they ran. */
  readonly rounds: readonly number[];
}

/** Nearest-rank percentile of an ascending array (`p` in 0..100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/**
 * `value(usher's i-th round, floor's i-th round)` for each round both targets ran. Closed-loop
 * rounds alternate (floor, usher | usher, floor | ...), so each pair ran back to back.
 */
export function roundPairs(
  usherRounds: readonly number[],
  floorRounds: readonly number[],
  value: (usher: number, floor: number) => number,
): number[] {
  const n = Math.min(usherRounds.length, floorRounds.length);
  return Array.from({ length: n }, (_, i) => value(usherRounds[i] as number, floorRounds[i] as number));
}

/** Median of any array of numbers; NaN when empty. */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** Latency summary of `latenciesMs` (any order); null when empty. */
export function summarizeLatency(latenciesMs: readonly number[]): LatencySummary | null {
  if (latenciesMs.length === 0) return null;
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  let sum = 0;
  for (const x of sorted) sum += x;
  return {
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    meanMs: sum / sorted.length,
    maxMs: sorted[sorted.length - 1] as number,
  };
}

/** Latency of one completed prediction, ms (null otherwise). */
export function latencyMs(rec: RequestRecord): number | null {
  return rec.outcome === "completed" && rec.completedMs !== null ? rec.completedMs - rec.joinStartMs : null;
}

/** Summarizes a run; `extra` holds scenario-specific figures computed from the same records. */
export function summarize(run: LoadRun, extra: Readonly<Record<string, number | null>> = {}): RunStats {
  const count = { completed: 0, refused: 0, failed: 0, error: 0, timeout: 0, lost: 0 };
  const latencies: number[] = [];
  const errorSamples = new Set<string>();
  for (const rec of run.records) {
    count[rec.outcome]++;
    const l = latencyMs(rec);
    if (l !== null) latencies.push(l);
    if (rec.outcome !== "completed" && rec.outcome !== "refused" && rec.error !== null && errorSamples.size < 3) {
      errorSamples.add(`${rec.outcome}: ${rec.error}`);
    }
  }
  return {
    requests: run.records.length,
    completed: count.completed,
    refused: count.refused,
    errors: count.failed + count.error + count.timeout + count.lost,
    failed: count.failed,
    timeouts: count.timeout,
    lost: count.lost,
    throughputPerS: (count.completed * 1000) / run.windowMs,
    latency: summarizeLatency(latencies),
    windowMs: run.windowMs,
    cpu: run.cpu,
    errorSamples: [...errorSamples],
    extra,
    rounds: [(count.completed * 1000) / run.windowMs],
  };
}
