/**
 * CPU time per prediction of each server under test: U users (each sequential, a closed loop)
 * make N predictions of the identity function (queue on, concurrencyCount 1), and the server
 * child's user + system time is read from /proc/PID/stat before and after (and its write and read
 * system calls from /proc/PID/io: on a small VM each costs 20–40 µs with its peer's wake-up). Throughput on a shared
 * machine is noisy; a server's own CPU per request is much less so, and it is what the overhead
 * target comes down to once a server saturates its core.
 *
 *   node scripts/ensure-dist.mjs && node --conditions=usher-source --import tsx bench/cpuPerRequest.ts \
 *     [--n=4000] [--rounds=3] [--users=1,10,50] [--protocol=sse,ws3] [--pattern=kept,fresh] \
 *     [--prefill=0] [--target=usher] [--baseline=DIR] [--generators=K --window-ms=3000]
 *
 * Every combination of `--protocol` (sse: sse_v3's join + data on keep-alive connections; ws3:
 * Gradio 3.x's per-event socket), `--pattern` (kept: one session hash per user for all its
 * predictions; fresh: a new session hash per prediction, a crowd of one-shot visitors) and
 * `--users` is measured on the same server processes, one after the other.
 *
 * `--prefill=N` first sends N fresh-session predictions (sse, 50 users) to each server, so that what
 * a server keeps per session (owner records: 100 000; State: 10 000) is at capacity, as after a few
 * seconds of one-shot visitors at saturation: the steady state, where each new session also evicts
 * an old record. 110000 puts every bound store there.
 *
 * `--generators=K` sends the load from K processes ({@link SplitLoop}) in timed rounds
 * (`--window-ms` each, after a warm-up) instead of N predictions from this one: the saturated
 * reading, where one generator process cannot keep a server busy (the 16-core machine, each server
 * pinned to a core of its own with `USHER_BENCH_SERVER_CORES`, this process and its generators on
 * others: bench/device/). Each round then also gives throughput and how busy the server's core
 * was; the summary adds Usher's throughput ratio to the floor's and the least busy round.
 *
 * `--baseline=DIR` adds a third server, "baseline": Usher from another checkout (e.g. a copy of the
 * tree before a change), spawned by that checkout's own bench/servers/spawnServer.ts, so that before
 * and after are measured in the same run, interleaved, under the same outside load.
 *
 * Rounds alternate the targets (floor, usher, floor, usher, …) on the same processes after a
 * warm-up of N/4 predictions each; every round is printed, then per combination the median and
 * the minimum per target and Usher's ratios to the floor (median of the rounds' ratios, each round
 * against the floor's round next to it). BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=prof")
 * reaches the children as in `npm run bench`.
 */
import { measureCombo, predictions, type CpuCombo, type CpuRound, type TrafficPattern } from "./cpuCombo.ts";
import { SseTransport } from "./load/SseTransport.ts";
import type { LoadProtocol } from "./load/transportFor.ts";
import { median, roundPairs } from "./report/summarize.ts";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { measureSaturated, saturatedLine } from "./saturatedCombo.ts";
import { spawnServer, TARGETS, type SpawnedServer } from "./servers/spawnServer.ts";
import type { ServerSpec } from "./servers/ServerSpec.ts";
import { argValue } from "./load/argValue.ts";

const SPEC: ServerSpec = { fn: { kind: "identity" }, concurrencyCount: 1, maxSize: null };

function argList<T extends string>(name: string, fallback: string, allowed: readonly T[]): T[] {
  const values = argValue(name, fallback).split(",");
  for (const v of values) if (!allowed.includes(v as T)) throw new Error(`--${name}: ${v} is not one of ${allowed}`);
  return values as T[];
}

async function spawnTarget(t: string, baseline: string): Promise<SpawnedServer> {
  if (t !== "baseline") return spawnServer(t as "floor" | "usher", SPEC);
  const other = (await import(pathToFileURL(resolve(baseline, "bench/servers/spawnServer.ts")).href)) as {
    spawnServer: typeof spawnServer;
  };
  return other.spawnServer("usher", SPEC);
}

function summaryLine(combo: CpuCombo, perRound: ReadonlyMap<string, CpuRound[]>): string {
  const floor = perRound.get("floor")?.map((r) => r.cpuUs);
  const parts = [...perRound].map(([t, rounds]) => {
    const us = rounds.map((r) => r.cpuUs);
    const ratio =
      floor === undefined || t === "floor" ? "" : ` (${median(roundPairs(us, floor, (u, f) => u / f)).toFixed(2)}×)`;
    return `${t} ${median(us).toFixed(0)} µs [min ${Math.min(...us).toFixed(0)}]${ratio}`;
  });
  return `${combo.protocol.padEnd(3)} ${combo.pattern.padEnd(5)} ${String(combo.users).padStart(2)} users: ${parts.join(", ")}`;
}

async function main(): Promise<void> {
  const n = Number(argValue("n", "4000"));
  const rounds = Number(argValue("rounds", "3"));
  const only = argValue("target", "");
  const baseline = argValue("baseline", "");
  const userCounts = argValue("users", "1").split(",").map(Number);
  const protocols = argList<LoadProtocol>("protocol", "sse", ["sse", "ws3"]);
  const patterns = argList<TrafficPattern>("pattern", "kept", ["kept", "fresh"]);
  const generators = Number(argValue("generators", "1"));
  const windowMs = Number(argValue("window-ms", "3000"));
  if (!Number.isInteger(generators) || generators < 1) throw new Error(`--generators: expected an integer ≥ 1`);
  if (!(windowMs >= 100)) throw new Error(`--window-ms: expected a number ≥ 100`);
  const targets: string[] = TARGETS.filter((t) => only === "" || t === only);
  if (baseline !== "") targets.push("baseline");
  const servers = new Map<string, SpawnedServer>();
  const summary: string[] = [];
  try {
    for (const t of targets) servers.set(t, await spawnTarget(t, baseline));
    const prefill = Number(argValue("prefill", "0"));
    if (prefill > 0) {
      for (const [t, server] of servers) {
        const t0 = performance.now();
        const transport = new SseTransport(server.url, { freshSession: true });
        const users = Array.from({ length: 50 }, (_, i) => transport.createUser(i));
        await predictions(users, prefill);
        for (const user of users) user.close();
        console.log(`prefill ${t}: ${prefill} fresh sessions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    }
    for (const protocol of protocols) {
      for (const pattern of patterns) {
        for (const users of userCounts) {
          const combo = { protocol, pattern, users };
          summary.push(
            generators > 1
              ? saturatedLine(combo, await measureSaturated(servers, combo, { rounds, windowMs, generators }))
              : summaryLine(combo, await measureCombo(servers, combo, n, rounds, console.log)),
          );
        }
      }
    }
    console.log(`\nserver CPU per prediction, median over ${rounds} rounds [min], ratio to the floor:`);
    for (const line of summary) console.log(line);
  } finally {
    for (const server of servers.values()) await server.stop();
  }
}

await main();
