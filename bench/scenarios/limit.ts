/**
 * Scenario "limit": the viral burst with admission by predicted wait. 2,000 users arrive over
 * 5 s at a queue that serves 80 per second, with `maxWaitMs` 10 s and no `maxSize`: a join
 * predicted to wait longer is refused at once with a `Retry-After`, and every refused user joins
 * again when told, until served (or 60 s after its first try). Fair queue and `fairness: false`
 * in the same run.
 */
import { limitFigures } from "../report/fairFigures.ts";
import { figure, policyCheck } from "./policyChecks.ts";
import { measurePolicies } from "./policyPair.ts";
import type { PointResult, Scenario, TargetCheck } from "./Scenario.ts";

const NAME = "limit";
const TITLE = "Viral burst with maxWaitMs 10 s: 2,000 users in 5 s, 50 ms function, concurrencyCount 4";
const USERS = 2000;
const SPREAD_MS = 5000;
const SLEEP_MS = 50;
const MAX_WAIT_MS = 10_000;
/** How much longer than `maxWaitMs` an admitted user may wait (the estimator's error). */
const WAIT_SLACK_MS = 1000;
/** A refused user retries when told for this long after its first join. */
const RETRY_WITHIN_MS = 60_000;

export const limit: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    `${USERS} users arrive evenly over ${SPREAD_MS / 1000} s (open loop, each its own X-Forwarded-For address) at a ` +
    `${SLEEP_MS} ms function, concurrencyCount 4, maxWaitMs ${MAX_WAIT_MS / 1000} s, no maxSize; a refused user ` +
    `joins again after its Retry-After, for up to ${RETRY_WITHIN_MS / 1000} s. Usher with the fair queue, then with ` +
    `fairness: false, in the same run. Targets: no admitted user waits (join → process_starts) more than ` +
    `${(MAX_WAIT_MS + WAIT_SLACK_MS) / 1000} s; every refusal carries Retry-After; every user who retries is served; ` +
    "nothing lost; median first-ETA error < 15% (both). --quick scales users, spread and maxWaitMs down.",
  async run(ctx) {
    if (!ctx.targets.includes("usher")) return { name: NAME, title: TITLE, points: [], checks: [] };
    const scale = Math.min(1, ctx.timeScale);
    const users = Math.round(USERS * scale);
    const spreadMs = SPREAD_MS * scale;
    const maxWaitMs = Math.round(MAX_WAIT_MS * scale);
    const base = {
      fn: { kind: "sleep", sleepMs: SLEEP_MS },
      concurrencyCount: 4,
      maxSize: null,
      maxWaitMs,
      expectedDurationMs: SLEEP_MS,
      trustProxy: ["loopback"],
    } as const;
    const points = await measurePolicies(
      ctx,
      NAME,
      [
        { label: "fair", server: { ...base, fairness: true } },
        { label: "fifo", server: { ...base, fairness: false } },
      ],
      {
        arrivals: Array.from({ length: users }, (_, i) => ({ atMs: (i * spreadMs) / users, user: i, input: `u${i}` })),
        spreadMs,
        address: (user) => `10.2.${user >> 8}.${user & 255}`,
        options: { timeoutMs: 60_000, retryWithinMs: RETRY_WITHIN_MS },
        figures: (rounds) => limitFigures(rounds, { users, serviceMs: SLEEP_MS }),
      },
    );
    return { name: NAME, title: TITLE, points, checks: limitChecks(points, maxWaitMs + WAIT_SLACK_MS) };
  },
};

function limitChecks(points: readonly PointResult[], waitMaxMs: number): TargetCheck[] {
  const s = (x: number): string => `${(x / 1000).toFixed(2)} s`;
  const served = (label: string): string => {
    const f = figure(points, label);
    return (
      `${label} ${f("retriersServed") ?? "-"} of ${f("retriers") ?? "-"} (${f("servedAtFirstRetry") ?? "-"} at the ` +
      `first retry, median ${f("retriesToServeMedian") ?? "-"} retries)`
    );
  };
  const retriersAllServed = (label: string): boolean | null => {
    const f = figure(points, label);
    const [n, ok] = [f("retriers"), f("retriersServed")];
    return n === null || ok === null ? null : ok === n;
  };
  const verdicts = points.map((p) => retriersAllServed(p.label));
  return [
    policyCheck(
      points,
      "admitted users' longest wait",
      `≤ ${s(waitMaxMs)}, both policies`,
      "admittedWaitMaxMs",
      (x) => x <= waitMaxMs,
      s,
    ),
    policyCheck(
      points,
      "refusals without Retry-After",
      "0, both policies",
      "refusalsWithoutRetryAfter",
      (n) => n === 0,
      (n, label) => `${n} of ${figure(points, label)("refusals") ?? "-"}`,
    ),
    {
      name: "users who retried when told, served",
      goal: "all, both policies",
      actual: points.map((p) => served(p.label)).join("; "),
      pass: verdicts.length === 0 || verdicts.includes(null) ? null : verdicts.every(Boolean),
    },
    policyCheck(points, "users with no result nor refusal", "0, both policies", "unsettled", (n) => n === 0),
    policyCheck(
      points,
      "median first-ETA error",
      "< 15%, both policies",
      "etaMedianErrorPct",
      (x) => x < 15,
      (x) => `${x.toFixed(1)}%`,
    ),
  ];
}
