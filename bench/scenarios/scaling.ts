/** Scenario "scaling": throughput grows linearly with concurrencyCount. */
import { checkValue, pairedMedian, pct, pointAt, statsOf } from "./checks.ts";
import { measurePoints } from "./measurePoints.ts";
import { type Point, type Scenario, type TargetCheck } from "./Scenario.ts";

const NAME = "scaling";
const TITLE = "Concurrency scaling: async 100 ms function";
const SLEEP_MS = 100;
const COUNTS = [1, 8, 64, 512] as const;
/**
 * Rounds per target and their windows. The first warm-up is long enough for connects whose SYN
 * the listen backlog dropped (up to 2,048 sockets at cc 512) to come back (1 s later) before any
 * window opens; later rounds re-warm for a few 100 ms calls.
 */
const ROUNDS = 4;
const ROUND_MS = 2000;
const FIRST_WARMUP_MS = 2000;
const ROUND_WARMUP_MS = 500;

/** Users per point: twice the slots, so that a slot never waits for a user. */
const usersFor = (concurrencyCount: number): number => Math.max(2, 2 * concurrencyCount);

/** concurrencyCount 1, 8, 64, 512 with 2× as many closed-loop users on a function that waits 100 ms. */
export const scaling: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    `An async function waits ${SLEEP_MS} ms; Usher runs it with concurrencyCount 1, 8, 64 and 512 and twice as ` +
    "many closed-loop users; the floor runs every request at once. Target: throughput ≥ 95% of " +
    "min(concurrencyCount × 10/s, the floor's throughput with the same function and users), the median over " +
    "round pairs.",
  async run(ctx) {
    const points: Point[] = COUNTS.map((concurrencyCount) => ({
      label: `cc=${concurrencyCount}`,
      server: { fn: { kind: "sleep", sleepMs: SLEEP_MS }, concurrencyCount, maxSize: null },
      load: {
        mode: "closed",
        users: usersFor(concurrencyCount),
        warmupMs: FIRST_WARMUP_MS,
        roundWarmupMs: ROUND_WARMUP_MS,
        durationMs: ROUND_MS,
        rounds: ROUNDS,
      },
    }));
    const results = await measurePoints(ctx, NAME, points);
    const checks: TargetCheck[] = COUNTS.map((concurrencyCount) => {
      const p = pointAt(results, `cc=${concurrencyCount}`);
      const floor = statsOf(p, "floor")?.throughputPerS;
      const usher = statsOf(p, "usher")?.throughputPerS;
      const perSlot = concurrencyCount * (1000 / SLEEP_MS);
      const ideal = floor === undefined ? null : Math.min(perSlot, floor);
      return checkValue(
        `throughput @cc=${concurrencyCount}`,
        `≥ 95% of min(${perSlot}/s, floor)`,
        pairedMedian(p, (u, f) => u / Math.min(perSlot, f)),
        (r) => r >= 0.95,
        (r) => `${pct(r)} (means: ${usher?.toFixed(1)}/s of ${ideal?.toFixed(1)}/s)`,
      );
    });
    return { name: NAME, title: TITLE, points: results, checks };
  },
};
