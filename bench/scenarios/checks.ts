/** Small helpers scenarios use to read results and state their targets. */
import { median, roundPairs, type RunStats } from "../report/summarize.ts";
import type { TargetName } from "../servers/spawnServer.ts";
import type { PointResult, TargetCheck } from "./Scenario.ts";

/** The figures of `target` at `point`, or null if it did not run. */
export function statsOf(point: PointResult | undefined, target: TargetName): RunStats | null {
  const run = point?.runs[target];
  return run?.ok === true ? run.stats : null;
}

/** The point labelled `label`. */
export function pointAt(points: readonly PointResult[], label: string): PointResult | undefined {
  return points.find((p) => p.label === label);
}

/**
 * A target check on a measured value: `pass` decides, `format` shows it. A null value (a target
 * did not run) gives `pass: null`, shown as "n/a".
 */
export function checkValue(
  name: string,
  goal: string,
  value: number | null,
  pass: (value: number) => boolean,
  format: (value: number) => string,
): TargetCheck {
  if (value === null || Number.isNaN(value)) return { name, goal, actual: "n/a", pass: null };
  return { name, goal, actual: format(value), pass: pass(value) };
}

/**
 * The median over round pairs of `value(usher's throughput, floor's throughput)`, pairing each
 * target's i-th round; null if either target did not run. Closed-loop rounds alternate (floor,
 * usher | usher, floor | ...), so a pair ran back to back: on this VM the speed of both processes
 * drifts by ±30% within seconds (the generator's own CPU per request moves with it), and a pair's
 * ratio cancels that drift where a ratio of each target's best or mean round does not.
 */
export function pairedMedian(
  point: PointResult | undefined,
  value: (usher: number, floor: number) => number,
): number | null {
  const u = statsOf(point, "usher")?.rounds;
  const f = statsOf(point, "floor")?.rounds;
  if (u === undefined || f === undefined) return null;
  const values = roundPairs(u, f, value).filter((v) => Number.isFinite(v));
  return values.length === 0 ? null : median(values);
}

/** `a / b`, or null if either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || b === 0 || Number.isNaN(a) || Number.isNaN(b)) return null;
  return a / b;
}

/** Formats a fraction as a percentage. */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
/** Formats a ratio as "1.23×". */
export const times = (x: number): string => `${x.toFixed(2)}×`;
/** Formats milliseconds. */
export const ms = (x: number): string => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`;
