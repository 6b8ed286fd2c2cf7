/**
 * Figures of the viral-burst scenario: FIFO order, ETA error and how refusals and results were
 * delivered, computed from the records of one open-loop wave.
 */
import type { RequestRecord } from "../load/Transport.ts";
import { median, percentile } from "./summarize.ts";

/**
 * Least gap between two 200 join responses, as the generator saw them, for their order to count.
 * A server writes the responses in its accept order, but the generator reads sockets that are
 * ready together in any order, and a stall between two reads (GC, preemption by another process)
 * stretches that gap. So the tie is the larger of this and the generator's longest event-loop
 * stall in the run. Any real queue-order policy other than FIFO still shows: waits are seconds.
 */
export const ACCEPT_TIE_MS = 1;

/**
 * Counts events started out of accept order. `startOrder` lists accepted predictions in the
 * order they started; an event counts when some event accepted at least `tieMs` before it
 * (its 200 join response arrived earlier) started after it.
 */
export function countOrderViolations(startOrder: readonly RequestRecord[], tieMs = ACCEPT_TIE_MS): OrderViolations {
  let count = 0;
  let worstMs = 0;
  let laterMinJoinedMs = Number.POSITIVE_INFINITY;
  for (let i = startOrder.length - 1; i >= 0; i--) {
    const joinedMs = (startOrder[i] as RequestRecord).joinedMs as number;
    const aheadMs = joinedMs - laterMinJoinedMs;
    if (aheadMs >= tieMs) {
      count++;
      worstMs = Math.max(worstMs, aheadMs);
    }
    laterMinJoinedMs = Math.min(laterMinJoinedMs, joinedMs);
  }
  return { count, worstMs };
}

/** Result of {@link countOrderViolations}. */
export interface OrderViolations {
  /** Events that started before an event accepted earlier than them. */
  readonly count: number;
  /** Largest accept-time lead among the overtaken events, ms (how far from a tie). */
  readonly worstMs: number;
}

/** Accepted predictions (200 join response seen). */
function acceptedOf(records: readonly RequestRecord[]): RequestRecord[] {
  return records.filter((r) => r.httpStatus === 200 && r.joinedMs !== null);
}

/**
 * FIFO violations by the server's own call order (`calls`: the inputs in the order the
 * function was called, logged inside the server process), against the order in which the
 * generator received the 200 join responses (arrivals are 2.5 ms apart, so that order is sharp).
 */
export function fifoViolationsByCalls(
  records: readonly RequestRecord[],
  calls: readonly string[],
  tieMs = ACCEPT_TIE_MS,
): OrderViolations {
  const byInput = new Map(acceptedOf(records).map((r) => [r.input, r]));
  const order: RequestRecord[] = [];
  for (const input of calls) {
    const rec = byInput.get(input);
    if (rec === undefined) continue;
    byInput.delete(input);
    order.push(rec);
  }
  return countOrderViolations(order, tieMs);
}

/**
 * FIFO violations by the order in which `process_starts` reached the generator. Noisy: an event
 * that starts before its user's stream connects is seen to start when the stream connects.
 */
export function fifoViolationsSeen(records: readonly RequestRecord[], tieMs = ACCEPT_TIE_MS): OrderViolations {
  const started = acceptedOf(records).filter((r) => r.startedMs !== null);
  return countOrderViolations(
    started.sort((a, b) => (a.startedMs as number) - (b.startedMs as number)),
    tieMs,
  );
}

/**
 * Relative error of the first ETA each completed user saw, against its actual wait (join
 * response → `process_completed`); a missing ETA counts as 100%. Returns percentages.
 */
export function etaErrorsPct(records: readonly RequestRecord[]): number[] {
  const errors: number[] = [];
  for (const r of records) {
    if (r.outcome !== "completed" || r.completedMs === null || r.joinedMs === null) continue;
    const actualMs = Math.max(1, r.completedMs - r.joinedMs);
    const etaMs = r.firstEstimation?.rankEtaMs ?? null;
    errors.push(etaMs === null ? 100 : (Math.abs(etaMs - actualMs) / actualMs) * 100);
  }
  return errors;
}

/**
 * Everything the burst scenario reports beyond the common figures. `calls` is the server-side
 * call log (null if the server did not record one).
 */
export function burstFigures(
  records: readonly RequestRecord[],
  calls: readonly string[] | null,
  users: number,
  generatorStallMs: number,
): Record<string, number | null> {
  const tieMs = Math.max(ACCEPT_TIE_MS, generatorStallMs);
  const refusalMs = records
    .filter((r) => r.outcome === "refused" && r.joinedMs !== null)
    .map((r) => (r.joinedMs as number) - r.joinStartMs)
    .sort((a, b) => a - b);
  const accepted = acceptedOf(records);
  const waitsMs = records
    .filter((r) => r.outcome === "completed" && r.completedMs !== null)
    .map((r) => (r.completedMs as number) - r.joinStartMs);
  const etaErrors = etaErrorsPct(records);
  const completed = records.filter((r) => r.outcome === "completed").length;
  // A log that misses calls (e.g. functions run in another thread) proves nothing: null.
  const fifo = calls === null || calls.length < completed ? null : fifoViolationsByCalls(records, calls, tieMs);
  const settled = records.filter((r) => r.outcome === "completed" || r.outcome === "refused").length;
  return {
    users,
    accepted: accepted.length,
    /** Users that got neither a result nor a refusal. */
    unsettled: users - settled,
    fifoViolations: fifo?.count ?? null,
    fifoWorstMs: fifo?.worstMs ?? null,
    fifoTieMs: tieMs,
    fifoViolationsSeen: fifoViolationsSeen(records, tieMs).count,
    calls: calls === null ? null : calls.length,
    missingStarts: accepted.filter((r) => r.outcome === "completed" && r.startedMs === null).length,
    etaMedianErrorPct: etaErrors.length === 0 ? null : median(etaErrors),
    etaMissing: records.filter((r) => r.outcome === "completed" && r.firstEstimation?.rankEtaMs == null).length,
    refusalP99Ms: refusalMs.length === 0 ? null : percentile(refusalMs, 99),
    refusalMaxMs: refusalMs.length === 0 ? null : (refusalMs[refusalMs.length - 1] as number),
    maxWaitMs: waitsMs.length === 0 ? null : Math.max(...waitsMs),
  };
}
