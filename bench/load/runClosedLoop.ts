/**
 * Closed-loop load: a fixed number of users, each sending its next prediction as soon as the
 * previous one ends, for a warm-up (discarded) and then a measurement window. Users start
 * spread over the first half of the warm-up: a thousand connects at once overflow a listen
 * backlog (511 in Node), and the dropped SYNs come back 1 s and 3 s later, inside the window.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { CpuMeter, CpuReading } from "./CpuMeter.ts";
import type { RequestRecord, Transport, VirtualUser } from "./Transport.ts";

/** Options of {@link runClosedLoop}. */
export interface ClosedLoopOptions {
  readonly users: number;
  /** Time before the window opens; its results are dropped. */
  readonly warmupMs: number;
  /** Length of the measurement window. */
  readonly durationMs: number;
  /** Per prediction. @default 30000 */
  readonly timeoutMs?: number;
  /** Input of a user's `seq`-th prediction. @default `u<user>-<seq>` */
  readonly input?: (user: number, seq: number) => string;
  /** Started when the window opens and stopped when it closes. */
  readonly meter?: CpuMeter;
}

/** What a load run produced. */
export interface LoadRun {
  /** Predictions that ended inside the measurement window. */
  readonly records: RequestRecord[];
  /** Length of the measurement window, ms. */
  readonly windowMs: number;
  readonly cpu: CpuReading | null;
}

/** Pause after a prediction that did not complete, so that a failing server is not hammered in a hot loop. */
const BACKOFF_MS = 10;
/**
 * How long after the window closes in-flight predictions may still finish (they are not counted
 * anyway); then every user's connections are dropped, so a stuck server cannot stall the run.
 */
const DRAIN_MS = 2000;

/** Runs closed-loop users against `transport` and returns what ended inside the window. */
export async function runClosedLoop(transport: Transport, options: ClosedLoopOptions): Promise<LoadRun> {
  const { users, warmupMs, durationMs, timeoutMs = 30_000, meter } = options;
  const input = options.input ?? ((user: number, seq: number) => `u${user}-${seq}`);
  const records: RequestRecord[] = [];
  const startMs = performance.now();
  const windowStartMs = startMs + warmupMs;
  const windowEndMs = windowStartMs + durationMs;
  let cpu: CpuReading | null = null;
  const opened = setTimeout(() => meter?.start(), warmupMs);
  const closed = setTimeout(() => (cpu = meter?.stop() ?? null), warmupMs + durationMs);

  const open: VirtualUser[] = [];
  const rampMs = users <= 1 ? 0 : warmupMs / 2;
  const loop = async (index: number): Promise<void> => {
    if (rampMs > 0) await sleep((index * rampMs) / users);
    const user = transport.createUser(index);
    open.push(user);
    try {
      for (let seq = 0; performance.now() < windowEndMs; seq++) {
        const rec = await user.predict(input(index, seq), timeoutMs);
        const endMs = rec.endedMs ?? performance.now();
        if (endMs >= windowStartMs && endMs <= windowEndMs) records.push(rec);
        if (rec.outcome !== "completed") await sleep(BACKOFF_MS);
      }
    } finally {
      user.close();
    }
  };
  let drainTimer: NodeJS.Timeout | undefined;
  const drained = new Promise<void>((resolve) => {
    drainTimer = setTimeout(resolve, warmupMs + durationMs + DRAIN_MS);
  });
  await Promise.race([Promise.all(Array.from({ length: users }, (_, i) => loop(i))), drained]);
  clearTimeout(drainTimer);
  for (const user of open) user.close();
  clearTimeout(opened);
  clearTimeout(closed);
  cpu ??= meter?.stop() ?? null;
  return { records, windowMs: durationMs, cpu };
}
