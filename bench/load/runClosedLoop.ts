/**
 * Closed-loop load: a fixed number of users, each sending its next prediction as soon as the
 * previous one ends, for a warm-up (discarded) and then a measurement window.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { CpuMeter, CpuReading } from "./CpuMeter.ts";
import type { RequestRecord, Transport } from "./Transport.ts";

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

  const loop = async (index: number): Promise<void> => {
    const user = transport.createUser(index);
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
  await Promise.all(Array.from({ length: users }, (_, i) => loop(i)));
  clearTimeout(opened);
  clearTimeout(closed);
  cpu ??= meter?.stop() ?? null;
  return { records, windowMs: durationMs, cpu };
}
