/** Scenario "overhead": what the queue costs on a function that costs nothing. */
import { checkValue, pairedMedian, pct, pointAt, ratio, statsOf, times } from "./checks.ts";
import { measurePoints } from "./measurePoints.ts";
import { type Point, type Scenario, type TargetCheck } from "./Scenario.ts";

const NAME = "overhead";
const TITLE = "Overhead: identity function, queue on";
const USERS = [1, 10, 50] as const;
/**
 * Rounds per target, alternating, and their length. The ratio is taken between two CPU-bound
 * processes on a VM whose speed drifts by ±30% within seconds: many short rounds, each compared
 * with the other target's round next to it (`pairedMedian`), gave steadier ratios than a few long
 * ones compared by their best.
 */
const ROUNDS = 24;
const ROUND_MS = 500;
/** Warm-up of each later round: the users restart from idle, and a prediction takes a few ms at most. */
const ROUND_WARMUP_MS = 100;
/** First warm-up of each server: JIT and heap sizing settle in well under this. */
const FIRST_WARMUP_MS = 2000;

/** Identity function, queue on (Usher's default concurrencyCount 1), closed loop of 1, 10 and 50 users. */
export const overhead: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    "Closed-loop users call the identity function through the queue (concurrencyCount 1; the floor runs " +
    "every request at once). Targets: throughput ≥ 80% of the floor's at 1, 10 and 50 users; p50 latency " +
    "at 1 user ≤ 1.5× the floor's.",
  async run(ctx) {
    const points: Point[] = USERS.map((users) => ({
      label: `users=${users}`,
      server: { fn: { kind: "identity" }, concurrencyCount: 1, maxSize: null },
      load: {
        mode: "closed",
        users,
        warmupMs: FIRST_WARMUP_MS,
        roundWarmupMs: ROUND_WARMUP_MS,
        durationMs: ROUND_MS,
        rounds: ROUNDS,
      },
    }));
    const results = await measurePoints(ctx, NAME, points);
    const checks: TargetCheck[] = USERS.map((users) => {
      const p = pointAt(results, `users=${users}`);
      return checkValue(
        `throughput @${users} user${users === 1 ? "" : "s"}`,
        "≥ 80% of floor",
        pairedMedian(p, (usher, floor) => usher / floor),
        (r) => r >= 0.8,
        pct,
      );
    });
    const one = pointAt(results, "users=1");
    checks.push(
      checkValue(
        "p50 latency @1 user",
        "≤ 1.5× floor",
        ratio(statsOf(one, "usher")?.latency?.p50Ms, statsOf(one, "floor")?.latency?.p50Ms),
        (r) => r <= 1.5,
        times,
      ),
    );
    return { name: NAME, title: TITLE, points: results, checks };
  },
};
