/** One closed-loop round with users of its own (see {@link ClosedLoop}), for runs that need no alternation. */
import type { CpuMeter } from "./CpuMeter.ts";
import { ClosedLoop, type ClosedLoopOptions, type LoadRun } from "./ClosedLoop.ts";
import type { Transport } from "./Transport.ts";

export type { LoadRun } from "./ClosedLoop.ts";

/** Options of {@link runClosedLoop}. */
export interface RunClosedLoopOptions extends ClosedLoopOptions {
  /** Time before the window opens; its results are dropped. */
  readonly warmupMs: number;
  /** Length of the measurement window. */
  readonly durationMs: number;
  /** Started when the window opens and stopped when it closes. */
  readonly meter?: CpuMeter;
}

/** Runs closed-loop users against `transport` for one warm-up and window, then closes them. */
export async function runClosedLoop(transport: Transport, options: RunClosedLoopOptions): Promise<LoadRun> {
  const loop = new ClosedLoop(transport, options);
  try {
    return await loop.round(options.warmupMs, options.durationMs, options.meter);
  } finally {
    loop.close();
  }
}
