/**
 * Scenario "hog": one client submits 300 jobs at once, then 60 other clients arrive over 10 s, one
 * job each. With the fair queue each visitor waits about one turn of the ring; with
 * `fairness: false` the visitors of the first seconds wait behind the whole batch. Both policies
 * run in the same run, each against the ideal schedule of the same arrivals.
 */
import { HOG_PREFIX, hogFigures } from "../report/fairFigures.ts";
import { figure, policyCheck } from "./policyChecks.ts";
import { measurePolicies } from "./policyPair.ts";
import type { Scenario, TargetCheck } from "./Scenario.ts";

const NAME = "hog";
const TITLE = "One client's 300 jobs at once, then 60 visitors over 10 s: 50 ms function, concurrencyCount 4";
const HOG_JOBS = 300;
const VISITORS = 60;
const SPREAD_MS = 10_000;
const SLEEP_MS = 50;
const SLOTS = 4;
/**
 * Waves per policy, alternating (fair, fifo | fifo, fair | ...): 60 visitors make one wave's p95
 * its 3rd-longest wait, which one stall of this shared machine decides; 3 waves pool 180.
 */
const ROUNDS = 3;
/** The visitors' p95 wait may be this many times the ideal round robin's. */
const IDEAL_RATIO_MAX = 1.5;
/** The hog's one address; each visitor has its own (`x-forwarded-for`, trusted from loopback). */
const HOG_ADDRESS = "10.0.0.1";

export const hog: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    `one client key (one X-Forwarded-For address, a session per job) joins ${HOG_JOBS} jobs at t = 0, then ` +
    `${VISITORS} clients of their own address arrive evenly over the next ${SPREAD_MS / 1000} s, one job each; ` +
    `${SLEEP_MS} ms function, concurrencyCount ${SLOTS}, trustProxy loopback. Usher with the fair queue and ` +
    `with fairness: false in the same run, ${ROUNDS} waves each, alternating; the ideal schedule (round robin and FIFO with exact 50 ms jobs, same ` +
    `arrival times) computed in the bench. Targets: visitors' p95 wait (join → process_starts) ≤ ${IDEAL_RATIO_MAX}× ` +
    "the ideal round robin's; all the hog's jobs complete, nothing lost; median first-ETA error < 15% (both). " +
    "--quick (or --time-scale < 1) scales the counts and the spread down.",
  async run(ctx) {
    if (!ctx.targets.includes("usher")) return { name: NAME, title: TITLE, points: [], checks: [] };
    const scale = Math.min(1, ctx.timeScale);
    const hogJobs = Math.round(HOG_JOBS * scale);
    const visitors = Math.round(VISITORS * scale);
    const spreadMs = SPREAD_MS * scale;
    const arrivals = [
      ...Array.from({ length: hogJobs }, (_, k) => ({ atMs: 0, user: k, input: `${HOG_PREFIX}${k}` })),
      // "Then": the first visitor one interval after the hog's joins, the last at the spread's end
      // (a visitor at t = 0 would time the admission of the hog's 300 joins, not the order).
      ...Array.from({ length: visitors }, (_, i) => ({
        atMs: ((i + 1) * spreadMs) / visitors,
        user: hogJobs + i,
        input: `v${i}`,
      })),
    ];
    const base = {
      fn: { kind: "sleep", sleepMs: SLEEP_MS },
      concurrencyCount: SLOTS,
      maxSize: null,
      expectedDurationMs: SLEEP_MS,
      recordCalls: true,
      trustProxy: ["loopback"],
    } as const;
    const setup = { hogJobs, visitors, slots: SLOTS, serviceMs: SLEEP_MS };
    const points = await measurePolicies(
      ctx,
      NAME,
      [
        { label: "fair", server: { ...base, fairness: true } },
        { label: "fifo", server: { ...base, fairness: false } },
      ],
      {
        arrivals,
        spreadMs,
        address: (user) => (user < hogJobs ? HOG_ADDRESS : `10.1.${(user - hogJobs) >> 8}.${(user - hogJobs) & 255}`),
        options: { timeoutMs: 60_000 },
        rounds: ROUNDS,
        figures: (rounds, calls) => hogFigures(rounds, calls, setup),
      },
    );
    return { name: NAME, title: TITLE, points, checks: hogChecks(points, hogJobs, ROUNDS) };
  },
};

function hogChecks(points: Parameters<typeof policyCheck>[0], hogJobs: number, waves: number): TargetCheck[] {
  const ms = (x: number | null): string => (x === null ? "-" : `${Math.round(x).toLocaleString("en-US")} ms`);
  const fair = figure(points, "fair");
  const fifo = figure(points, "fifo");
  const p95 = fair("visitorWaitP95Ms");
  const ideal = fair("idealFairP95Ms");
  const ratio = p95 === null || ideal === null || ideal <= 0 ? null : p95 / ideal;
  return [
    {
      name: "visitors' p95 wait, fair queue",
      goal: `≤ ${IDEAL_RATIO_MAX}× the ideal round robin's`,
      actual:
        `${ms(p95)} = ${ratio === null ? "-" : ratio.toFixed(2)}× ideal ${ms(ideal)}; ` +
        `fairness: false ${ms(fifo("visitorWaitP95Ms"))} (ideal FIFO ${ms(fifo("idealFifoP95Ms"))})`,
      pass: ratio === null ? null : ratio <= IDEAL_RATIO_MAX,
    },
    policyCheck(
      points,
      `the hog's jobs completed`,
      `all ${hogJobs} × ${waves} waves, both policies`,
      "hogCompleted",
      (n) => n === hogJobs * waves,
    ),
    policyCheck(points, "jobs not completed (lost, errors)", "0, both policies", "notCompleted", (n) => n === 0),
    policyCheck(
      points,
      "median first-ETA error",
      "< 15%, both policies",
      "etaMedianErrorPct",
      (x) => x < 15,
      (x, label) =>
        label === "fair"
          ? `${x.toFixed(1)}% (visitors ${fair("etaVisitorsErrorPct")?.toFixed(1) ?? "-"}%, hog ${fair("etaHogErrorPct")?.toFixed(1) ?? "-"}%)`
          : `${x.toFixed(1)}%`,
    ),
  ];
}
