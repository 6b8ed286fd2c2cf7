/** Scenario "burst": a demo goes viral; nothing is lost, order is kept, ETAs are honest. */
import { burstFigures } from "../report/burstFigures.ts";
import { checkValue, ms, pointAt, statsOf } from "./checks.ts";
import { measurePoints } from "./measurePoints.ts";
import type { Point, Scenario } from "./Scenario.ts";

const NAME = "burst";
const TITLE = "Viral burst: 2,000 users in 5 s, 50 ms function, concurrencyCount 4, maxSize 500";
const USERS = 2000;
const SPREAD_MS = 5000;
const SLEEP_MS = 50;
/** Longest a refusal may take and still count as immediate (p99). */
const IMMEDIATE_MS = 100;

/** 2,000 users arriving evenly over 5 s at a queue that can serve 80/s and hold 500. */
export const burst: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    `${USERS} users arrive evenly over ${SPREAD_MS / 1000} s (open loop) at a ${SLEEP_MS} ms function with ` +
    "concurrencyCount 4 and maxSize 500 (ETA seeded with expectedDurationMs 50). The floor runs the same " +
    "limits with a bare FIFO semaphore and no ETA. Targets: every user gets a result or a refusal " +
    `(p99 refusal under ${IMMEDIATE_MS} ms), none times out or is lost; no event starts out of accept order; ` +
    "median error of the first ETA against the actual wait under 15% (missing ETA = 100%).",
  async run(ctx) {
    const points: Point[] = [
      {
        label: `users=${USERS}`,
        server: {
          fn: { kind: "sleep", sleepMs: SLEEP_MS },
          concurrencyCount: 4,
          maxSize: 500,
          expectedDurationMs: SLEEP_MS,
          floorLimitsConcurrency: true,
          recordCalls: true,
        },
        load: { mode: "open", users: USERS, spreadMs: SPREAD_MS, timeoutMs: 30_000 },
        extra: ({ records, calls, cpu }) => burstFigures(records, calls, USERS, cpu?.generatorLoopDelayMaxMs ?? 0),
      },
    ];
    const results = await measurePoints(ctx, NAME, points);
    const usher = statsOf(pointAt(results, `users=${USERS}`), "usher");
    const extra = usher?.extra ?? {};
    const checks = [
      checkValue(
        "users without result or refusal",
        "0 (no timeouts, nothing lost)",
        usher === null ? null : (extra["unsettled"] ?? 0) + usher.errors,
        (n) => n === 0,
        String,
      ),
      checkValue(
        "refusal latency p99",
        `< ${IMMEDIATE_MS} ms`,
        usher === null ? null : (extra["refusalP99Ms"] ?? 0),
        (x) => x < IMMEDIATE_MS,
        ms,
      ),
      checkValue("events started out of accept order", "0", extra["fifoViolations"] ?? null, (n) => n === 0, String),
      checkValue(
        "median first-ETA error",
        "< 15%",
        extra["etaMedianErrorPct"] ?? null,
        (x) => x < 15,
        (x) => `${x.toFixed(1)}%`,
      ),
    ];
    return { name: NAME, title: TITLE, points: results, checks };
  },
};
