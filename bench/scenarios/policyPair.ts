/**
 * Runs one load against Usher once per queue policy (the fair queue and `fairness: false`) in the
 * same run: each policy's server in its own child process, both up for the whole point, waves
 * alternating between them (fair, fifo | fifo, fair | ...) so that the machine's slow drifts hit
 * both alike. The results are one point per policy, Usher's figures under `runs.usher`, so the
 * report prints them as two rows.
 */
import { CpuMeter } from "../load/CpuMeter.ts";
import type { LoadRun } from "../load/runClosedLoop.ts";
import { runArrivals, type Arrival, type ArrivalOptions } from "../load/runArrivals.ts";
import { SseTransport } from "../load/SseTransport.ts";
import type { RequestRecord } from "../load/Transport.ts";
import { summarize } from "../report/summarize.ts";
import { spawnServer, type SpawnedServer } from "../servers/spawnServer.ts";
import type { ServerSpec } from "../servers/ServerSpec.ts";
import { averageCpu, flagWrongOutputs } from "./measurePoints.ts";
import type { BenchContext, PointResult } from "./Scenario.ts";

/** One policy to measure. */
export interface PolicyVariant {
  /** Row label, e.g. "fair" or "fifo". */
  readonly label: string;
  readonly server: ServerSpec;
}

/** What every variant runs. */
export interface PolicyLoad {
  /** One wave; each round's inputs get the suffix `.<round>`, so that every input of a point is unique. */
  readonly arrivals: readonly Arrival[];
  /** Spread of the arrivals, ms (for the results file's load plan). */
  readonly spreadMs: number;
  /** Each user's own client address, sent as `x-forwarded-for` (the server trusts loopback). */
  readonly address: (user: number) => string;
  readonly options?: Omit<ArrivalOptions, "meter">;
  /** Waves per variant, alternating between the variants. @default 1 */
  readonly rounds?: number;
  /** Joins sent before the first wave (each from its own address), their results dropped. @default 16 */
  readonly warmupJoins?: number;
  /** The scenario's figures from each wave's records (one list per round) and the server's call log. */
  readonly figures: (
    rounds: readonly (readonly RequestRecord[])[],
    calls: readonly string[] | null,
  ) => Record<string, number | null>;
}

/** Measures `load` on every variant; a variant that fails to start or run reports why. */
export async function measurePolicies(
  ctx: BenchContext,
  scenario: string,
  variants: readonly PolicyVariant[],
  load: PolicyLoad,
): Promise<PointResult[]> {
  const roundCount = load.rounds ?? 1;
  const plan = { mode: "open", users: load.arrivals.length, spreadMs: load.spreadMs, rounds: roundCount } as const;
  const servers = new Map<string, SpawnedServer>();
  const failures = new Map<string, string>();
  const waves = new Map<string, LoadRun[]>(variants.map((v) => [v.label, []]));
  const calls = new Map<string, readonly string[] | null>();
  try {
    for (const variant of variants) {
      try {
        const server = await spawnServer("usher", variant.server);
        servers.set(variant.label, server);
        await warmUp(server.url, ctx, load.warmupJoins ?? 16);
      } catch (e) {
        failures.set(variant.label, `did not start: ${(e as Error).stack ?? String(e)}`);
      }
    }
    for (let round = 0; round < roundCount; round++) {
      const order = round % 2 === 1 ? [...variants].reverse() : variants;
      for (const variant of order) {
        const server = servers.get(variant.label);
        if (server === undefined || failures.has(variant.label)) continue;
        try {
          waves.get(variant.label)?.push(await wave(ctx, server, variant, load, round));
          ctx.log(`  ${scenario} ${variant.label} round ${round + 1}/${roundCount}: ${waveLine(waves, variant.label)}`);
        } catch (e) {
          failures.set(variant.label, `load run failed: ${(e as Error).stack ?? String(e)}`);
        }
      }
    }
  } finally {
    for (const [label, server] of servers) calls.set(label, (await server.stop()).calls);
  }
  return variants.map((variant) => {
    const point = { label: variant.label, server: variant.server, load: plan };
    const failure = failures.get(variant.label);
    if (failure !== undefined) return { ...point, runs: { usher: { ok: false, error: failure } } };
    const runs = waves.get(variant.label) ?? [];
    const run: LoadRun = {
      records: runs.flatMap((r) => r.records),
      windowMs: runs.reduce((a, r) => a + r.windowMs, 0),
      cpu: averageCpu(runs),
    };
    const extra = load.figures(
      runs.map((r) => r.records),
      calls.get(variant.label) ?? null,
    );
    return { ...point, runs: { usher: { ok: true, stats: summarize(run, extra) } } };
  });
}

/** One wave of `load` against `server`, its inputs suffixed with the round. */
async function wave(
  ctx: BenchContext,
  server: SpawnedServer,
  variant: PolicyVariant,
  load: PolicyLoad,
  round: number,
): Promise<LoadRun> {
  const transport = new SseTransport(server.url, {
    client: ctx.client,
    headers: (user) => ({ "x-forwarded-for": load.address(user) }),
  });
  const arrivals = load.arrivals.map((a) => ({ ...a, input: `${a.input}.${round}` }));
  const run = await runArrivals(transport, arrivals, { ...load.options, meter: new CpuMeter(server.pid) });
  flagWrongOutputs(run.records, variant.server);
  return run;
}

/** What the last wave of `label` did, for the progress log. */
function waveLine(waves: ReadonlyMap<string, LoadRun[]>, label: string): string {
  const run = waves.get(label)?.at(-1);
  if (run === undefined) return "-";
  const n = (outcome: string): number => run.records.filter((r) => r.outcome === outcome).length;
  const errors = run.records.length - n("completed") - n("refused");
  return `${n("completed")} completed, ${n("refused")} refused, ${errors} errors (${(run.windowMs / 1000).toFixed(1)} s)`;
}

/**
 * A few predictions from addresses of their own (not the wave's), 20 ms apart, so that the
 * server's code is compiled and its ETA has real durations before the first wave.
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
