/**
 * What a benchmark scenario is: a name, the points it measures (a server spec plus a load plan
 * each), run against every target back to back, and the targets it checks on the results.
 */
import type { CpuReading } from "../load/CpuMeter.ts";
import type { HttpClientKind } from "../load/SseTransport.ts";
import type { RequestRecord } from "../load/Transport.ts";
import type { RunStats } from "../report/summarize.ts";
import type { TargetName } from "../servers/spawnServer.ts";
import type { ServerSpec } from "../servers/ServerSpec.ts";

/** Warm-up of each closed-loop round (results dropped), ms, before `BenchContext.timeScale`. */
export const WARMUP_MS = 1000;
/** Measurement window of each closed-loop round, ms, before `BenchContext.timeScale`. */
export const DURATION_MS = 4000;

/** How load is applied at one point. */
export type LoadPlan =
  /** Closed loop: `users` each send their next prediction when the previous ends. */
  | {
      readonly mode: "closed";
      readonly users: number;
      readonly warmupMs: number;
      readonly durationMs: number;
      /** Per prediction. @default 30000 */
      readonly timeoutMs?: number;
      /**
       * Rounds per target, alternating between targets (floor, usher | usher, floor | ...), each
       * target keeping its users between rounds. A target's figures are all its rounds together;
       * ratios between targets are the median of the ratios of each round's adjacent pair (see
       * `pairedMedian` in checks.ts). @default 2
       */
      readonly rounds?: number;
      /** Warm-up of every round after a target's first (`warmupMs`), ms. @default 250 */
      readonly roundWarmupMs?: number;
    }
  /** Open loop: `users` arrive evenly over `spreadMs` (0: at once), one prediction each. */
  | {
      readonly mode: "open";
      readonly users: number;
      readonly spreadMs: number;
      /** Per prediction. @default 60000 */
      readonly timeoutMs?: number;
      /** Waves run first on each target and thrown away. @default 0 */
      readonly warmupRounds?: number;
      /** Measured waves per target, alternating between targets; all of them count. @default 1 */
      readonly rounds?: number;
    };

/** What one target's run at a point saw, for scenario-specific figures. */
export interface PointObservations {
  /** Every measured prediction (all measured rounds). */
  readonly records: readonly RequestRecord[];
  /** Length of each measured round, ms. */
  readonly roundsMs: readonly number[];
  /** Server-side call order (inputs), when the spec set `recordCalls`. */
  readonly calls: readonly string[] | null;
  /** What the CPU meter saw over the measured rounds. */
  readonly cpu: CpuReading | null;
}

/** One measurement: a server spec and a load plan, run once per target. */
export interface Point {
  /** Short label, unique in its scenario, e.g. "users=10". */
  readonly label: string;
  readonly server: ServerSpec;
  readonly load: LoadPlan;
  /** Scenario-specific figures from what the run saw. */
  readonly extra?: (seen: PointObservations) => Record<string, number | null>;
}

/** A target's result at a point: its figures, or why it could not run. */
export type RunOutcome =
  | { readonly ok: true; readonly stats: RunStats }
  | { readonly ok: false; readonly error: string };

/** A point and what each target did there. */
export interface PointResult {
  readonly label: string;
  readonly server: ServerSpec;
  readonly load: LoadPlan;
  readonly runs: Partial<Record<TargetName, RunOutcome>>;
}

/** One target of the issue, checked. */
export interface TargetCheck {
  readonly name: string;
  /** The goal in words, e.g. "≥ 80% of floor". */
  readonly goal: string;
  /** What was measured, formatted. */
  readonly actual: string;
  /** null: could not be checked (a target did not run). */
  readonly pass: boolean | null;
}

/** Everything a scenario reports. */
export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly points: readonly PointResult[];
  readonly checks: readonly TargetCheck[];
}

/** What a scenario run may use. */
export interface BenchContext {
  /** Targets to run, in order. */
  readonly targets: readonly TargetName[];
  /** HTTP client of the load generator. */
  readonly client: HttpClientKind;
  /** Multiplies warm-up and measurement windows (0.4 for a quick look, 1 for the record). */
  readonly timeScale: number;
  /** Progress output (stderr). */
  log(line: string): void;
}

/** A benchmark scenario. */
export interface Scenario {
  /** CLI name, e.g. "overhead". */
  readonly name: string;
  readonly title: string;
  /** What it measures and its targets. */
  readonly description: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}
