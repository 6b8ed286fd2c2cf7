/** Formats scenario results as plain-text tables: absolute figures, ratios to the floor, targets. */
import type { CpuReading } from "../load/CpuMeter.ts";
import type { PointResult, RunOutcome, ScenarioResult } from "../scenarios/Scenario.ts";
import { median, roundPairs, type RunStats } from "./summarize.ts";

/** Generator CPU above this (fraction of a core) means the generator may be the bottleneck. */
export const GENERATOR_SATURATED = 0.85;

/** Whether the generator (its busiest process, where it is split) was over {@link GENERATOR_SATURATED}. */
function generatorSaturated(cpu: CpuReading | null | undefined): boolean {
  return cpu != null && (cpu.generatorBusiestCpu ?? cpu.generatorCpu) > GENERATOR_SATURATED;
}
/** CPU used by other processes above this (cores) means the machine was not quiet. */
export const MACHINE_BUSY = 0.25;

const COLUMNS = [
  ["point", 12],
  ["target", 7],
  ["req/s", 9],
  ["p50 ms", 8],
  ["p90 ms", 8],
  ["p99 ms", 8],
  ["done", 7],
  ["errors", 7],
  ["refused", 8],
  ["gen CPU", 8],
  ["srv CPU", 8],
  ["other", 6],
] as const;

function row(cells: readonly string[]): string {
  return cells
    .map((cell, i) => {
      const width = COLUMNS[i]?.[1] ?? 8;
      return i < 2 ? cell.padEnd(width) : cell.padStart(width);
    })
    .join(" ")
    .trimEnd();
}

const num = (x: number | null | undefined, digits = 1): string =>
  x == null || Number.isNaN(x) ? "-" : x >= 1000 ? x.toFixed(0) : x.toFixed(digits);
const lat = (x: number | null | undefined): string => (x == null ? "-" : x < 10 ? x.toFixed(2) : x.toFixed(1));
const cpu = (x: number | null | undefined, flag: number): string =>
  x == null ? "-" : `${(x * 100).toFixed(0)}%${x > flag ? "!" : ""}`;

function statsRow(label: string, target: string, s: RunStats): string {
  return row([
    label,
    target,
    num(s.throughputPerS),
    lat(s.latency?.p50Ms),
    lat(s.latency?.p90Ms),
    lat(s.latency?.p99Ms),
    String(s.completed),
    String(s.errors),
    String(s.refused),
    // A split generator's column shows the sum over its processes, its "!" the busiest process.
    cpu(s.cpu?.generatorCpu, generatorSaturated(s.cpu) ? -Infinity : Infinity),
    cpu(s.cpu?.serverCpu, 2),
    cpu(s.cpu?.otherCpu, MACHINE_BUSY),
  ]);
}

/** The server's CPU time per completed prediction over the measured rounds, µs; null when unknown. */
function serverCpuUs(s: RunStats): number | null {
  const cpu = s.cpu?.serverCpu;
  return cpu == null || s.throughputPerS <= 0 ? null : (cpu * 1e6) / s.throughputPerS;
}

/**
 * Latency ratios of all rounds; the throughput ratio is the median of `pairs` (usher / floor per
 * round pair) when there are several.
 */
function ratioRow(floor: RunStats, usher: RunStats, pairs: readonly number[]): string {
  const r = (a: number | undefined, b: number | undefined): string =>
    a === undefined || b === undefined || b === 0 ? "-" : `${(a / b).toFixed(2)}×`;
  return row([
    "",
    "ratio",
    pairs.length > 1 ? `${median(pairs).toFixed(2)}×` : r(usher.throughputPerS, floor.throughputPerS),
    r(usher.latency?.p50Ms, floor.latency?.p50Ms),
    r(usher.latency?.p90Ms, floor.latency?.p90Ms),
    r(usher.latency?.p99Ms, floor.latency?.p99Ms),
  ]);
}

function extraLine(target: string, s: RunStats): string | null {
  const entries: [string, number | null][] = Object.entries(s.extra);
  if (s.rounds.length > 1 && entries.length === 0) {
    return `    ${target}: rounds ${s.rounds.map((r) => num(r)).join(", ")} req/s`;
  }
  if (entries.length === 0) return null;
  // Two decimals below 10: per-prediction counts such as 2.96 round trips must not read as 3.0.
  const value = (v: number | null): string =>
    v === null ? "-" : Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 2 : 1);
  return `    ${target}: ${entries.map(([k, v]) => `${k}=${value(v)}`).join(" ")}`;
}

function pointLines(point: PointResult): string[] {
  const lines: string[] = [];
  const extras: string[] = [];
  let label = point.label;
  for (const [target, run] of Object.entries(point.runs) as [string, RunOutcome][]) {
    if (run.ok) {
      lines.push(statsRow(label, target, run.stats));
      const extra = extraLine(target, run.stats);
      if (extra !== null) extras.push(extra);
      for (const sample of run.stats.errorSamples) extras.push(`    ${target} error: ${sample.slice(0, 140)}`);
    } else {
      lines.push(row([label, target, `did not run: ${run.error.split("\n")[0]?.slice(0, 90) ?? ""}`]));
    }
    label = "";
  }
  const floor = point.runs.floor;
  const usher = point.runs.usher;
  if (floor?.ok === true && usher?.ok === true) {
    const pairs = roundPairs(usher.stats.rounds, floor.stats.rounds, (u, f) => u / f);
    lines.push(ratioRow(floor.stats, usher.stats, pairs));
    if (pairs.length > 1)
      extras.push(`    usher/floor by round pair: ${pairs.map((r) => r.toFixed(2)).join(", ")} (median counts)`);
    const cpuUs = [serverCpuUs(floor.stats), serverCpuUs(usher.stats)] as const;
    if (cpuUs[0] !== null && cpuUs[1] !== null) {
      extras.push(
        `    server CPU per prediction: floor ${cpuUs[0].toFixed(0)} µs, usher ${cpuUs[1].toFixed(0)} µs (${(cpuUs[1] / cpuUs[0]).toFixed(2)}×; ` +
          "a reading the generator's speed does not cap)",
      );
    }
  }
  return [...lines, ...extras];
}

/** The whole report of one scenario as text. */
export function formatScenario(result: ScenarioResult): string {
  const lines = [`== ${result.name}: ${result.title} ==`];
  if (result.points.length > 0) {
    lines.push(row(COLUMNS.map(([name]) => name)));
    for (const point of result.points) lines.push(...pointLines(point));
  }
  lines.push("targets:");
  for (const c of result.checks) {
    const verdict = c.pass === null ? "n/a " : c.pass ? "PASS" : "FAIL";
    lines.push(`  ${verdict}  ${c.name.padEnd(36)} ${c.goal.padEnd(30)} ${c.actual}`);
  }
  const runs = result.points
    .flatMap((p) => Object.values(p.runs))
    .filter((r): r is RunOutcome & { ok: true } => r?.ok === true);
  if (runs.some((r) => generatorSaturated(r.stats.cpu))) {
    lines.push(
      `  note: "!" on gen CPU: the load generator (one of its processes, where split) used > ${GENERATOR_SATURATED * 100}% of a core; those figures may be generator-bound.`,
    );
  }
  if (runs.some((r) => (r.stats.cpu?.otherCpu ?? 0) > MACHINE_BUSY)) {
    lines.push(`  note: "!" on other: other processes used > ${MACHINE_BUSY} core; the machine was not quiet.`);
  }
  return lines.join("\n");
}
