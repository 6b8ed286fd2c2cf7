/**
 * Runs the points of a scenario. For each point, every target's server is started in its own
 * process, then rounds of load alternate between targets (floor, usher, usher, floor, ...) so
 * that slow drifts of the machine hit both alike; then the servers stop and the rounds are
 * combined per target.
 */
import { CpuMeter, type CpuReading } from "../load/CpuMeter.ts";
import { ClosedLoop, type LoadRun } from "../load/ClosedLoop.ts";
import { runOpenLoop } from "../load/runOpenLoop.ts";
import { SseTransport } from "../load/SseTransport.ts";
import type { RequestRecord } from "../load/Transport.ts";
import { summarize, type RunStats } from "../report/summarize.ts";
import { expectedOutput } from "../servers/scenarioFunctions.ts";
import { spawnServer, type SpawnedServer, type TargetName } from "../servers/spawnServer.ts";
import type { ServerSpec } from "../servers/ServerSpec.ts";
import type { BenchContext, Point, PointResult, RunOutcome } from "./Scenario.ts";

/** Measures every point against every target of `ctx`, logging progress. */
export async function measurePoints(
  ctx: BenchContext,
  scenario: string,
  points: readonly Point[],
): Promise<PointResult[]> {
  const results: PointResult[] = [];
  for (const point of points) results.push(await measurePoint(ctx, `${scenario} ${point.label}`, point));
  return results;
}

async function measurePoint(ctx: BenchContext, name: string, point: Point): Promise<PointResult> {
  const runs: Partial<Record<TargetName, RunOutcome>> = {};
  const servers = new Map<TargetName, SpawnedServer>();
  for (const target of ctx.targets) {
    try {
      servers.set(target, await spawnServer(target, point.server));
    } catch (e) {
      runs[target] = { ok: false, error: (e as Error).message };
      ctx.log(`  ${name} ${target}: did not start: ${(e as Error).message.split("\n")[0] ?? ""}`);
    }
  }
  const rounds = new Map<TargetName, LoadRun[]>([...servers.keys()].map((t) => [t, []]));
  const failures = new Map<TargetName, string>();
  const calls = new Map<TargetName, string[] | null>();
  const load = point.load;
  const roundCount = load.rounds ?? (load.mode === "closed" ? 2 : 1);
  // Closed loops: each target's users live across its rounds (warm connections and sessions).
  const loops = new Map<TargetName, ClosedLoop>();
  if (load.mode === "closed") {
    for (const [target, server] of servers) {
      loops.set(
        target,
        new ClosedLoop(transportFor(ctx, server), {
          users: load.users,
          ...(load.timeoutMs === undefined ? {} : { timeoutMs: load.timeoutMs }),
        }),
      );
    }
  }
  try {
    if (load.mode === "open") {
      for (const [target, server] of servers) {
        for (let i = 0; i < (load.warmupRounds ?? 0); i++) {
          await runOpenLoop(transportFor(ctx, server), openOptions(load));
        }
        ctx.log(`  ${name} ${target}: warmed up`);
      }
    }
    for (let i = 0; i < roundCount; i++) {
      const order = [...servers.keys()];
      if (i % 2 === 1) order.reverse();
      for (const target of order) {
        if (failures.has(target)) continue;
        const server = servers.get(target) as SpawnedServer;
        const started = performance.now();
        try {
          const run = await runRound(ctx, point, server, loops.get(target), i === 0);
          flagWrongOutputs(run.records, point.server);
          rounds.get(target)?.push(run);
          const stats = summarize(run);
          ctx.log(
            `  ${name} ${target} round ${i + 1}/${roundCount}: ${stats.throughputPerS.toFixed(1)}/s, ` +
              `p50 ${stats.latency?.p50Ms.toFixed(2) ?? "-"} ms (${((performance.now() - started) / 1000).toFixed(1)} s)`,
          );
        } catch (e) {
          failures.set(target, `load run failed: ${(e as Error).stack ?? String(e)}`);
        }
      }
    }
  } finally {
    for (const loop of loops.values()) loop.close();
    for (const [target, server] of servers) calls.set(target, (await server.stop()).calls);
  }
  for (const [target, runsOfTarget] of rounds) {
    const failure = failures.get(target);
    runs[target] =
      failure !== undefined
        ? { ok: false, error: failure }
        : { ok: true, stats: combine(point, runsOfTarget, calls.get(target) ?? null) };
  }
  // In the targets' order, whatever failed first.
  const ordered: Partial<Record<TargetName, RunOutcome>> = {};
  for (const target of ctx.targets) {
    const outcome = runs[target];
    if (outcome !== undefined) ordered[target] = outcome;
  }
  return { label: point.label, server: point.server, load: point.load, runs: ordered };
}

function transportFor(ctx: BenchContext, server: SpawnedServer): SseTransport {
  return new SseTransport(server.url, { client: ctx.client });
}

function openOptions(load: Point["load"] & { mode: "open" }): { users: number; spreadMs: number; timeoutMs?: number } {
  return {
    users: load.users,
    spreadMs: load.spreadMs,
    ...(load.timeoutMs === undefined ? {} : { timeoutMs: load.timeoutMs }),
  };
}

/** Warm-up of a closed-loop round after a target's first, ms (before `timeScale`). */
const ROUND_WARMUP_MS = 250;

/** One round of `point.load` against a running server (closed loops: with that target's `loop`). */
async function runRound(
  ctx: BenchContext,
  point: Point,
  server: SpawnedServer,
  loop: ClosedLoop | undefined,
  first: boolean,
): Promise<LoadRun> {
  const load = point.load;
  const meter = new CpuMeter(server.pid);
  if (load.mode === "open") return runOpenLoop(transportFor(ctx, server), { ...openOptions(load), meter });
  if (loop === undefined) throw new Error("closed-loop round without its users");
  const warmupMs = first ? load.warmupMs : (load.roundWarmupMs ?? ROUND_WARMUP_MS);
  return loop.round(warmupMs * ctx.timeScale, load.durationMs * ctx.timeScale, meter);
}

/**
 * One target's figures from its rounds, all of them together (the throughput is their mean; each
 * round's throughput is kept in `rounds`, in round order, for paired ratios).
 */
function combine(point: Point, runs: readonly LoadRun[], calls: readonly string[] | null): RunStats {
  const perRound = runs.map((r) => (r.records.filter((x) => x.outcome === "completed").length * 1000) / r.windowMs);
  const roundsMs = runs.map((r) => r.windowMs);
  const run: LoadRun = {
    records: runs.flatMap((r) => r.records),
    windowMs: roundsMs.reduce((a, b) => a + b, 0),
    cpu: averageCpu(runs),
  };
  const extra = point.extra?.({ records: run.records, roundsMs, calls, cpu: run.cpu }) ?? {};
  return { ...summarize(run, extra), rounds: perRound };
}

/** CPU readings of several rounds, weighted by their length. */
export function averageCpu(runs: readonly LoadRun[]): CpuReading | null {
  const readings = runs.map((r) => r.cpu).filter((c): c is CpuReading => c !== null);
  if (readings.length === 0) return null;
  const wallMs = readings.reduce((a, c) => a + c.wallMs, 0);
  const mean = (pick: (c: CpuReading) => number | null): number | null =>
    readings.some((c) => pick(c) === null)
      ? null
      : readings.reduce((a, c) => a + (pick(c) as number) * c.wallMs, 0) / wallMs;
  return {
    wallMs,
    generatorCpu: mean((c) => c.generatorCpu) ?? 0,
    serverCpu: mean((c) => c.serverCpu),
    otherCpu: mean((c) => c.otherCpu),
    generatorLoopDelayP99Ms: Math.max(...readings.map((c) => c.generatorLoopDelayP99Ms)),
    generatorLoopDelayMaxMs: Math.max(...readings.map((c) => c.generatorLoopDelayMaxMs)),
  };
}

/** Turns completed predictions whose output is not what `server`'s function returns into errors. */
export function flagWrongOutputs(records: readonly RequestRecord[], server: ServerSpec): void {
  for (const rec of records) {
    if (rec.outcome !== "completed") continue;
    const expected = [expectedOutput(server.fn, rec.input)];
    if (JSON.stringify(rec.output) === JSON.stringify(expected)) continue;
    rec.outcome = "error";
    rec.error = `wrong output ${JSON.stringify(rec.output).slice(0, 60)} for input ${JSON.stringify(rec.input)}`;
  }
}
