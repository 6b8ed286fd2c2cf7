/**
 * Runs one load against Usher twice in the same run, once per queue policy (the fair queue and
 * `fairness: false`), each server in its own child process started for its turn and stopped after
 * it, so that the two never share the machine. The results are one point per policy, Usher's
 * figures under `runs.usher`, so the report prints them as two rows.
 */
import { CpuMeter } from "../load/CpuMeter.ts";
import { runArrivals, type Arrival, type ArrivalOptions } from "../load/runArrivals.ts";
import { SseTransport } from "../load/SseTransport.ts";
import type { RequestRecord } from "../load/Transport.ts";
import { summarize } from "../report/summarize.ts";
import { spawnServer, type SpawnedServer } from "../servers/spawnServer.ts";
import type { ServerSpec } from "../servers/ServerSpec.ts";
import { flagWrongOutputs } from "./measurePoints.ts";
import type { BenchContext, PointResult } from "./Scenario.ts";

/** One policy to measure. */
export interface PolicyVariant {
  /** Row label, e.g. "fair" or "fifo". */
  readonly label: string;
  readonly server: ServerSpec;
}

/** What every variant runs. */
export interface PolicyLoad {
  readonly arrivals: readonly Arrival[];
  /** Spread of the arrivals, ms (for the results file's load plan). */
  readonly spreadMs: number;
  /** Each user's own client address, sent as `x-forwarded-for` (the server trusts loopback). */
  readonly address: (user: number) => string;
  readonly options?: Omit<ArrivalOptions, "meter">;
  /** Joins sent before the measured wave (each from its own address), their results dropped. @default 16 */
  readonly warmupJoins?: number;
  /** The scenario's figures from the wave's records and the server's call log. */
  readonly figures: (
    records: readonly RequestRecord[],
    calls: readonly string[] | null,
  ) => Record<string, number | null>;
}

/** Measures `load` once per variant, in order; a variant that fails to run reports why. */
export async function measurePolicies(
  ctx: BenchContext,
  scenario: string,
  variants: readonly PolicyVariant[],
  load: PolicyLoad,
): Promise<PointResult[]> {
  const results: PointResult[] = [];
  for (const variant of variants) {
    const plan = { mode: "open", users: load.arrivals.length, spreadMs: load.spreadMs } as const;
    const point = { label: variant.label, server: variant.server, load: plan };
    let server: SpawnedServer | null = null;
    try {
      server = await spawnServer("usher", variant.server);
      const transport = new SseTransport(server.url, {
        client: ctx.client,
        headers: (user) => ({ "x-forwarded-for": load.address(user) }),
      });
      await warmUp(server.url, ctx, load.warmupJoins ?? 16);
      const started = performance.now();
      const run = await runArrivals(transport, load.arrivals, { ...load.options, meter: new CpuMeter(server.pid) });
      flagWrongOutputs(run.records, variant.server);
      const { calls } = await server.stop();
      server = null;
      const stats = summarize(run, load.figures(run.records, calls));
      ctx.log(
        `  ${scenario} ${variant.label}: ${stats.completed} completed, ${stats.refused} refused, ` +
          `${stats.errors} errors (${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
      results.push({ ...point, runs: { usher: { ok: true, stats } } });
    } catch (e) {
      ctx.log(`  ${scenario} ${variant.label}: failed: ${(e as Error).message.split("\n")[0] ?? ""}`);
      results.push({ ...point, runs: { usher: { ok: false, error: (e as Error).stack ?? String(e) } } });
    } finally {
      await server?.stop();
    }
  }
  return results;
}

/**
 * A few predictions from addresses of their own (not the wave's), one after another in pairs, so
 * that the server's code is compiled and its ETA has real durations before the wave.
 */
async function warmUp(url: string, ctx: BenchContext, joins: number): Promise<void> {
  const transport = new SseTransport(url, {
    client: ctx.client,
    headers: (user) => ({ "x-forwarded-for": `192.0.2.${user % 250}` }),
  });
  await runArrivals(
    transport,
    Array.from({ length: joins }, (_, i) => ({ atMs: i * 20, user: i, input: `warm${i}` })),
    { timeoutMs: 30_000 },
  );
}
