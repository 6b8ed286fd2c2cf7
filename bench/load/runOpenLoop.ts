/**
 * Open-loop load: users arrive on a fixed schedule (spread evenly over `spreadMs`, or all at once
 * when it is 0) whatever the server's state, each makes one prediction and leaves.
 */
import type { CpuMeter } from "./CpuMeter.ts";
import type { LoadRun } from "./runClosedLoop.ts";
import type { RequestRecord, Transport } from "./Transport.ts";

/** Options of {@link runOpenLoop}. */
export interface OpenLoopOptions {
  readonly users: number;
  /** Arrivals are spread evenly over this time; 0: all at once. */
  readonly spreadMs: number;
  /** Per prediction. @default 60000 */
  readonly timeoutMs?: number;
  /** Input of user `user`. @default `u<user>` */
  readonly input?: (user: number) => string;
  /** Started at the first arrival and stopped when the last user is done. */
  readonly meter?: CpuMeter;
}

/** Runs one open-loop wave; the window spans from the first arrival to the last prediction's end. */
export async function runOpenLoop(transport: Transport, options: OpenLoopOptions): Promise<LoadRun> {
  const { users, spreadMs, timeoutMs = 60_000, meter } = options;
  const input = options.input ?? ((user: number) => `u${user}`);
  const pending: Promise<RequestRecord>[] = [];
  const launch = (index: number): void => {
    const user = transport.createUser(index);
    pending.push(user.predict(input(index), timeoutMs).finally(() => user.close()));
  };

  meter?.start();
  const startMs = performance.now();
  await new Promise<void>((resolve) => {
    let next = 0;
    const dueMs = (i: number): number => (users <= 1 ? 0 : (i * spreadMs) / users);
    const tick = (): void => {
      const elapsedMs = performance.now() - startMs;
      while (next < users && dueMs(next) <= elapsedMs) launch(next++);
      if (next >= users) resolve();
      else setTimeout(tick, Math.max(0, dueMs(next) - elapsedMs));
    };
    tick();
  });
  const records = await Promise.all(pending);
  const windowMs = performance.now() - startMs;
  return { records, windowMs, cpu: meter?.stop() ?? null };
}
