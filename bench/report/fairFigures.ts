/**
 * Figures of the fair-queue scenarios (`hog`, `limit`), computed from the records of one run:
 * waits against the ideal schedule, what the hog got, refusals and their `Retry-After`, what the
 * users who retried got, and the first ETA's error (as `burst` measures it).
 */
import type { RequestRecord } from "../load/Transport.ts";
import { etaErrorsPct } from "./burstFigures.ts";
import { idealSchedule } from "./idealSchedule.ts";
import { median, percentile } from "./summarize.ts";

/** Inputs of the hog's jobs start with this; every other user is a visitor with a key of its own. */
export const HOG_PREFIX = "h";

/**
 * Time from sending the join to the event's start as the user saw it (`process_starts`); without
 * one (a start before the stream opened is seen when it opens; none at all is rare), completion
 * minus the function's time. Null when the prediction did not complete.
 */
export function startWaitMs(rec: RequestRecord, serviceMs: number): number | null {
  if (rec.outcome !== "completed") return null;
  if (rec.startedMs !== null) return rec.startedMs - rec.joinStartMs;
  return rec.completedMs === null ? null : Math.max(0, rec.completedMs - serviceMs - rec.joinStartMs);
}

const p = (values: readonly number[], q: number): number | null =>
  values.length === 0
    ? null
    : percentile(
        [...values].sort((a, b) => a - b),
        q,
      );
const med = (values: readonly number[]): number | null => (values.length === 0 ? null : median(values));

/**
 * The visitors' waits in the ideal schedule of the same arrivals (the join times the generator
 * recorded), with exact `serviceMs` and `slots`: round robin (`fairness`) or FIFO.
 */
export function idealVisitorWaits(
  records: readonly RequestRecord[],
  options: { readonly slots: number; readonly serviceMs: number; readonly fairness: boolean },
): number[] {
  const arrivals = records.map((r) => ({
    atMs: r.joinStartMs,
    key: r.input.startsWith(HOG_PREFIX) ? HOG_PREFIX : r.input,
  }));
  const starts = idealSchedule(arrivals, options);
  const waits: number[] = [];
  records.forEach((r, i) => {
    if (!r.input.startsWith(HOG_PREFIX)) waits.push(starts[i]! - r.joinStartMs);
  });
  return waits;
}

/**
 * Most hog jobs the server started (by its own call log) between a visitor's accepted join and
 * that visitor's start. Round robin allows about one (the hog's turn at the ring's head, plus a
 * job claimed while the visitor's join response was on its way); FIFO, every hog job ahead.
 */
export function hogStartsAhead(records: readonly RequestRecord[], calls: readonly string[]): number | null {
  const byInput = new Map(records.map((r) => [r.input, r]));
  const position = new Map(calls.map((input, i) => [input, i]));
  let worst = 0;
  for (const visitor of records) {
    if (visitor.input.startsWith(HOG_PREFIX) || visitor.joinedMs === null) continue;
    const at = position.get(visitor.input);
    if (at === undefined) return null;
    let ahead = 0;
    for (let i = 0; i < at; i++) {
      const input = calls[i]!;
      if (!input.startsWith(HOG_PREFIX)) continue;
      // Started after the visitor was accepted: started at or after its own start's turn came.
      const hog = byInput.get(input);
      if (hog?.startedMs != null && hog.startedMs > visitor.joinedMs) ahead++;
    }
    worst = Math.max(worst, ahead);
  }
  return worst;
}

/**
 * Everything the `hog` scenario reports for one server, over its waves (`rounds`: each wave's
 * records; waits pooled, each wave against its own ideal schedule).
 */
export function hogFigures(
  rounds: readonly (readonly RequestRecord[])[],
  calls: readonly string[] | null,
  setup: { readonly hogJobs: number; readonly visitors: number; readonly slots: number; readonly serviceMs: number },
): Record<string, number | null> {
  const { slots, serviceMs } = setup;
  const records = rounds.flat();
  const ideal = (fairness: boolean): number[] =>
    rounds.flatMap((wave) => idealVisitorWaits(wave, { slots, serviceMs, fairness }));
  const hog = records.filter((r) => r.input.startsWith(HOG_PREFIX));
  const visitors = records.filter((r) => !r.input.startsWith(HOG_PREFIX));
  const waits = visitors.map((r) => startWaitMs(r, serviceMs)).filter((w): w is number => w !== null);
  const hogWaits = hog.map((r) => startWaitMs(r, serviceMs)).filter((w): w is number => w !== null);
  const completed = records.filter((r) => r.outcome === "completed");
  return {
    hogCompleted: hog.filter((r) => r.outcome === "completed").length,
    visitorsCompleted: visitors.filter((r) => r.outcome === "completed").length,
    waves: rounds.length,
    notCompleted: (setup.hogJobs + setup.visitors) * rounds.length - completed.length,
    visitorWaitP50Ms: med(waits),
    visitorWaitP95Ms: p(waits, 95),
    visitorWaitMaxMs: waits.length === 0 ? null : Math.max(...waits),
    idealFairP95Ms: p(ideal(true), 95),
    idealFifoP95Ms: p(ideal(false), 95),
    hogWaitMaxMs: hogWaits.length === 0 ? null : Math.max(...hogWaits),
    hogLastEndMs: rounds.length === 0 ? null : Math.max(...rounds.map(lastHogEndMs)),
    hogStartsAheadMax: calls === null || calls.length < completed.length ? null : hogStartsAhead(records, calls),
    etaMedianErrorPct: med(etaErrorsPct(records)),
    etaVisitorsErrorPct: med(etaErrorsPct(visitors)),
    etaHogErrorPct: med(etaErrorsPct(hog)),
    startsUnseen: completed.filter((r) => r.startedMs === null).length,
  };
}

/** When the last of a wave's hog jobs ended, ms after the wave's first join. */
function lastHogEndMs(wave: readonly RequestRecord[]): number {
  const firstMs = Math.min(...wave.map((r) => r.joinStartMs));
  const hog = wave.filter((r) => r.input.startsWith(HOG_PREFIX));
  return Math.max(0, ...hog.map((r) => (r.completedMs ?? r.endedMs ?? firstMs) - firstMs));
}

/**
 * Everything the `limit` scenario reports for one server, over its waves (`rounds`: each wave's
 * records, every attempt of every user).
 */
export function limitFigures(
  rounds: readonly (readonly RequestRecord[])[],
  setup: { readonly users: number; readonly serviceMs: number },
): Record<string, number | null> {
  const records = rounds.flat();
  const byUser = new Map<string, RequestRecord[]>();
  rounds.forEach((wave, round) => {
    for (const r of wave) {
      const key = `${round}:${r.user}`;
      const list = byUser.get(key) ?? [];
      list.push(r);
      byUser.set(key, list);
    }
  });
  const users = setup.users * rounds.length;
  const admittedWaits = records
    .map((r) => startWaitMs(r, setup.serviceMs))
    .filter((w): w is number => w !== null)
    .sort((a, b) => a - b);
  const refusals = records.filter((r) => r.outcome === "refused");
  let retriers = 0;
  let retriersServed = 0;
  let servedAtFirstRetry = 0;
  let settled = 0;
  const attemptsToServe: number[] = [];
  const timeToResultMs: number[] = [];
  for (const attempts of byUser.values()) {
    attempts.sort((a, b) => a.joinStartMs - b.joinStartMs);
    const served = attempts.findIndex((r) => r.outcome === "completed");
    const last = attempts[attempts.length - 1]!;
    if (served !== -1 || last.outcome === "refused") settled++;
    if (attempts[0]!.outcome !== "refused" || attempts.length < 2) continue;
    retriers++;
    if (served === -1) continue;
    retriersServed++;
    if (served === 1) servedAtFirstRetry++;
    attemptsToServe.push(served + 1);
    timeToResultMs.push((attempts[served]!.completedMs as number) - attempts[0]!.joinStartMs);
  }
  const retryAfters = refusals.map((r) => r.retryAfterS).filter((s): s is number => s !== null);
  const refusalMs = refusals.filter((r) => r.joinedMs !== null).map((r) => (r.joinedMs as number) - r.joinStartMs);
  return {
    users,
    attempts: records.length,
    usersServed: [...byUser.values()].filter((a) => a.some((r) => r.outcome === "completed")).length,
    servedFirstTry: [...byUser.values()].filter((a) => a.some((r) => r.outcome === "completed") && a.length === 1)
      .length,
    unsettled: users - settled,
    admittedWaitP50Ms: p(admittedWaits, 50),
    admittedWaitP99Ms: p(admittedWaits, 99),
    admittedWaitMaxMs: admittedWaits.length === 0 ? null : admittedWaits[admittedWaits.length - 1]!,
    refusals: refusals.length,
    refusalsWithoutRetryAfter: refusals.length - retryAfters.length,
    refusalP99Ms: p(refusalMs, 99),
    retryAfterMedianS: med(retryAfters),
    retryAfterMaxS: retryAfters.length === 0 ? null : Math.max(...retryAfters),
    retriers,
    retriersServed,
    servedAtFirstRetry,
    retriesToServeMedian: med(attemptsToServe.map((n) => n - 1)),
    retriersResultP50Ms: med(timeToResultMs),
    retriersResultMaxMs: timeToResultMs.length === 0 ? null : Math.max(...timeToResultMs),
    etaMedianErrorPct: med(etaErrorsPct(records)),
  };
}
