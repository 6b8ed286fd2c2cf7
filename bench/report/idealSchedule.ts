/**
 * The schedule a perfect server would run: the queue order of FAIR-SPEC ("Order") with exact
 * service times and no overhead, for given arrivals. The fair-queue scenarios compare what Usher
 * did with it: deficit round robin over client keys (one event per turn, FIFO within a key, a key
 * that gets its first waiting event joins the ring's end) or, with `fairness: false`, FIFO.
 */

/** One job offered to the ideal server. */
export interface IdealArrival {
  /** When it arrives, ms (any origin). */
  readonly atMs: number;
  /** Its client key. */
  readonly key: string;
}

/** Options of {@link idealSchedule}. */
export interface IdealOptions {
  /** Jobs that run at once (concurrencyCount). */
  readonly slots: number;
  /** Every job's exact run time, ms. */
  readonly serviceMs: number;
  /** Round robin over keys (true) or FIFO (false). */
  readonly fairness: boolean;
}

/**
 * Start time of each arrival (same index), ms on the arrivals' clock. Arrivals at the same time
 * are admitted in index order; a slot freed at `t` takes a job that arrived at `t`.
 */
export function idealSchedule(arrivals: readonly IdealArrival[], options: IdealOptions): number[] {
  const { slots, serviceMs, fairness } = options;
  if (!(slots >= 1) || !(serviceMs >= 0)) throw new RangeError("slots ≥ 1 and serviceMs ≥ 0 expected");
  const order = arrivals.map((_, i) => i).sort((a, b) => arrivals[a]!.atMs - arrivals[b]!.atMs || a - b);
  const starts = new Array<number>(arrivals.length).fill(Number.NaN);
  const freeAtMs = new Array<number>(slots).fill(Number.NEGATIVE_INFINITY);
  /** Waiting jobs per key, oldest first, and the keys' ring (FIFO: one ring entry per job). */
  const waiting = new Map<string, number[]>();
  const ring: string[] = [];
  let nextArrival = 0;
  let nowMs = Number.NEGATIVE_INFINITY;
  const admitUntil = (t: number): void => {
    while (nextArrival < order.length && arrivals[order[nextArrival]!]!.atMs <= t) {
      const job = order[nextArrival++]!;
      const key = fairness ? arrivals[job]!.key : String(job);
      const jobs = waiting.get(key);
      if (jobs === undefined) {
        waiting.set(key, [job]);
        ring.push(key);
      } else jobs.push(job);
    }
  };
  for (let started = 0; started < arrivals.length; started++) {
    // The slot free soonest; time never runs backwards.
    let slot = 0;
    for (let s = 1; s < slots; s++) if (freeAtMs[s]! < freeAtMs[slot]!) slot = s;
    nowMs = Math.max(nowMs, freeAtMs[slot]!);
    admitUntil(nowMs);
    if (ring.length === 0) {
      nowMs = Math.max(nowMs, arrivals[order[nextArrival]!]!.atMs);
      admitUntil(nowMs);
    }
    const key = ring.shift()!;
    const jobs = waiting.get(key)!;
    const job = jobs.shift()!;
    if (jobs.length > 0) ring.push(key);
    else waiting.delete(key);
    starts[job] = nowMs;
    freeAtMs[slot] = nowMs + serviceMs;
  }
  return starts;
}
