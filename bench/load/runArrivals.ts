/**
 * Open-loop load on an explicit schedule: each arrival is one user (its own session and
 * connection, and whatever headers its transport gives it) making one prediction at its time,
 * whatever the server's state. Optionally a refused user does what a refusal's `Retry-After`
 * tells it: it joins again that many seconds later, until it is served or gives up.
 */
import type { CpuMeter } from "./CpuMeter.ts";
import type { LoadRun } from "./runClosedLoop.ts";
import type { RequestRecord, Transport, VirtualUser } from "./Transport.ts";

/** One user's arrival. */
export interface Arrival {
  /** When it joins, ms after the run starts. */
  readonly atMs: number;
  /** The transport's user index (its session, its headers). */
  readonly user: number;
  /** What it sends (`data[0]`). */
  readonly input: string;
}

/** Options of {@link runArrivals}. */
export interface ArrivalOptions {
  /** Per prediction. @default 60000 */
  readonly timeoutMs?: number;
  /**
   * When set, a user refused with a `Retry-After` joins again after it, as long as that join
   * falls within this many ms of its first one; a refusal without `Retry-After` ends it.
   * @default null (no retries)
   */
  readonly retryWithinMs?: number | null;
  /** Started at the first arrival and stopped when the last user is done. */
  readonly meter?: CpuMeter;
}

/**
 * Runs the schedule; `records` holds every attempt (a retry is a record of its own, with the
 * same `user`), in the order they ended. The window spans from the start to the last end.
 */
export async function runArrivals(
  transport: Transport,
  arrivals: readonly Arrival[],
  options: ArrivalOptions = {},
): Promise<LoadRun> {
  const { timeoutMs = 60_000, retryWithinMs = null, meter } = options;
  const records: RequestRecord[] = [];
  const attempt = async (user: VirtualUser, input: string, firstJoinMs: number | null): Promise<void> => {
    const rec = await user.predict(input, timeoutMs);
    records.push(rec);
    const firstMs = firstJoinMs ?? rec.joinStartMs;
    if (rec.outcome !== "refused" || rec.retryAfterS === null || retryWithinMs === null) return;
    const againMs = performance.now() + rec.retryAfterS * 1000;
    if (againMs - firstMs > retryWithinMs) return;
    await new Promise((resolve) => setTimeout(resolve, againMs - performance.now()));
    await attempt(user, input, firstMs);
  };
  const pending: Promise<void>[] = [];
  const sorted = [...arrivals].sort((a, b) => a.atMs - b.atMs);
  meter?.start();
  const startMs = performance.now();
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = (): void => {
      const elapsedMs = performance.now() - startMs;
      while (next < sorted.length && sorted[next]!.atMs <= elapsedMs) {
        const { user: index, input } = sorted[next++]!;
        const user = transport.createUser(index);
        pending.push(attempt(user, input, null).finally(() => user.close()));
      }
      if (next >= sorted.length) resolve();
      else setTimeout(tick, Math.max(0, sorted[next]!.atMs - elapsedMs));
    };
    tick();
  });
  await Promise.all(pending);
  const windowMs = performance.now() - startMs;
  return { records, windowMs, cpu: meter?.stop() ?? null };
}
