/**
 * `bench/cpuPerRequest.ts --generators=K`: one combination (protocol, traffic pattern, users) in
 * timed rounds whose load comes from K processes ({@link SplitLoop}), so that the server, not the
 * generator, is what runs out of CPU. Per round and target: server CPU per prediction, throughput,
 * and how busy the server's core was over the window (the reading counts as saturated at ≥ 0.9).
 */
import { comboLabel, type CpuCombo } from "./cpuCombo.ts";
import { meteredRound } from "./load/meteredRound.ts";
import { median, roundPairs } from "./report/summarize.ts";
import { SplitLoop } from "./load/SplitLoop.ts";
import type { SpawnedServer } from "./servers/spawnServer.ts";

/** One measured round of one target. */
export interface SaturatedRound {
  /** Server CPU per completed prediction, µs. */
  readonly cpuUs: number;
  readonly perS: number;
  /** Server CPU over the window, fraction of one core. */
  readonly busy: number;
}

/** What a combination's rounds are: the same as the unsaturated reading's. */
export type SaturatedCombo = CpuCombo;

/** A warm-up before each round, ms: connections, JIT and the servers' averages settle. */
const ROUND_WARMUP_MS = 500;
/** The first round's warm-up, ms (users are created over its first half). */
const FIRST_WARMUP_MS = 2000;

/** Runs `rounds` timed rounds of each server, alternating, and returns each target's rounds. */
export async function measureSaturated(
  servers: ReadonlyMap<string, SpawnedServer>,
  combo: SaturatedCombo,
  options: { readonly rounds: number; readonly windowMs: number; readonly generators: number },
): Promise<Map<string, SaturatedRound[]>> {
  const targets = [...servers.keys()];
  const loops = new Map<string, SplitLoop>();
  const perRound = new Map<string, SaturatedRound[]>(targets.map((t) => [t, []]));
  const label = comboLabel(combo);
  try {
    for (const t of targets) {
      const loop = await SplitLoop.start(
        {
          protocol: combo.protocol,
          urls: [servers.get(t)!.url],
          users: combo.users,
          freshSession: combo.pattern === "fresh",
        },
        options.generators,
      );
      loops.set(t, loop);
      await loop.round(FIRST_WARMUP_MS, 0);
    }
    for (let r = 0; r < options.rounds; r++) {
      for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
        const m = await meteredRound(loops.get(t)!, ROUND_WARMUP_MS, options.windowMs, [servers.get(t)!.pid], null);
        const completed = m.run.records.filter((rec) => rec.outcome === "completed").length;
        const failed = m.run.records.length - completed;
        if (m.serversCpuMs === null) throw new Error(`cannot read the CPU time of ${t}`);
        if (completed === 0) throw new Error(`${label} round ${r + 1} ${t}: no prediction completed`);
        const round = {
          cpuUs: (m.serversCpuMs * 1000) / completed,
          perS: (completed * 1000) / options.windowMs,
          busy: m.serversCpuMs / options.windowMs,
        };
        perRound.get(t)!.push(round);
        console.log(
          `${label} round ${r + 1} ${t.padEnd(8)} ${round.cpuUs.toFixed(0).padStart(4)} µs CPU/prediction` +
            `  ${round.perS.toFixed(0).padStart(6)}/s  server core ${(round.busy * 100).toFixed(0)}% busy` +
            `  generator ${((m.run.cpu?.generatorCpu ?? 0) * 100).toFixed(0)}% of a core` +
            (failed > 0 ? `  ${failed} not completed` : ""),
        );
      }
    }
  } finally {
    for (const loop of loops.values()) loop.close();
  }
  return perRound;
}

/**
 * One summary line: per target the median CPU per prediction and throughput, and the least busy
 * round; Usher's ratios to the floor are medians of the rounds' ratios, each against the floor's
 * round next to it.
 */
export function saturatedLine(combo: SaturatedCombo, perRound: ReadonlyMap<string, SaturatedRound[]>): string {
  const floor = perRound.get("floor");
  const parts = [...perRound].map(([t, rounds]) => {
    const ratios =
      floor === undefined || t === "floor"
        ? ""
        : ` (CPU ${median(
            roundPairs(
              rounds.map((v) => v.cpuUs),
              floor.map((v) => v.cpuUs),
              (u, f) => u / f,
            ),
          ).toFixed(2)}×,` +
          ` throughput ${median(
            roundPairs(
              rounds.map((v) => v.perS),
              floor.map((v) => v.perS),
              (u, f) => u / f,
            ),
          ).toFixed(2)}×)`;
    const leastBusy = Math.min(...rounds.map((v) => v.busy));
    return (
      `${t} ${median(rounds.map((v) => v.cpuUs)).toFixed(0)} µs, ${median(rounds.map((v) => v.perS)).toFixed(0)}/s,` +
      ` core ≥ ${(leastBusy * 100).toFixed(0)}% busy${ratios}`
    );
  });
  return `${combo.protocol.padEnd(3)} ${combo.pattern.padEnd(5)} ${String(combo.users).padStart(2)} users, saturated: ${parts.join("; ")}`;
}
