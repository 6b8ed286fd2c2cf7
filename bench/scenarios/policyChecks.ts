/** Reading the two policies' figures (points "fair" and "fifo" of `measurePolicies`) into target checks. */
import type { PointResult, TargetCheck } from "./Scenario.ts";

/** A reader of the scenario figure `key` of the point labelled `label` (null: missing or did not run). */
export function figure(points: readonly PointResult[], label: string): (key: string) => number | null {
  const run = points.find((p) => p.label === label)?.runs.usher;
  const extra = run?.ok === true ? run.stats.extra : null;
  return (key) => {
    const v = extra?.[key];
    return v === undefined || v === null || Number.isNaN(v) ? null : v;
  };
}

/**
 * One check over every point: each point's figure `key` must `pass`; the actual value lists each
 * point's (`format`, by default the number as is). Null when a point did not run.
 */
export function policyCheck(
  points: readonly PointResult[],
  name: string,
  goal: string,
  key: string,
  pass: (value: number) => boolean,
  format: (value: number, label: string) => string = (x) => String(Number.isInteger(x) ? x : x.toFixed(1)),
): TargetCheck {
  const values = points.map((p) => ({ label: p.label, value: figure(points, p.label)(key) }));
  const actual = values
    .map(({ label, value }) => `${label} ${value === null ? "n/a" : format(value, label)}`)
    .join("; ");
  const missing = values.length === 0 || values.some((v) => v.value === null);
  return { name, goal, actual, pass: missing ? null : values.every((v) => pass(v.value as number)) };
}
