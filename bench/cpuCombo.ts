/**
 * One combination (protocol, traffic pattern, users) of the servers' CPU per prediction, unsaturated:
 * U users in this process (each sequential, a closed loop) make N predictions of the identity
 * function per round, and each server child's user + system time (`/proc/PID/stat`) and its write
 * and read system calls (`/proc/PID/io`) are read before and after. Rounds alternate the targets
 * (floor, usher | usher, floor | ...) on the same processes, after a warm-up of N/4 predictions each.
 * Used by `bench/cpuPerRequest.ts` and the `cpu` scenario; {@link measureSaturated} is the
 * saturated counterpart, its load from several processes.
 */
import { readProcessCpuMs, readProcessSyscalls } from "./load/CpuMeter.ts";
import type { RequestRecord, VirtualUser } from "./load/Transport.ts";
import { transportFor, type LoadProtocol } from "./load/transportFor.ts";
import { latencyMs } from "./report/summarize.ts";
import type { SpawnedServer } from "./servers/spawnServer.ts";

/** How a user's sessions go: one kept for all its predictions, or a new one for each. */
export type TrafficPattern = "kept" | "fresh";

/** One measured combination. */
export interface CpuCombo {
  readonly protocol: LoadProtocol;
  readonly pattern: TrafficPattern;
  readonly users: number;
}

/** One round of one target. */
export interface CpuRound {
  /** Server CPU per prediction, µs. */
  readonly cpuUs: number;
  /** Wall time per prediction (the round's length over its predictions), µs. */
  readonly wallUs: number;
  /** Server write and read system calls per prediction. */
  readonly writes: number;
  readonly reads: number;
  /** Each prediction's latency, ms. */
  readonly latenciesMs: readonly number[];
}

/** "sse fresh 50u": a combination's name in progress lines. */
export function comboLabel(combo: CpuCombo): string {
  return `${combo.protocol} ${combo.pattern.padEnd(5)} ${String(combo.users).padStart(2)}u`;
}

/**
 * Runs `n` predictions split over the users (each sequential) and returns their records; throws
 * on the first that does not complete.
 */
export async function predictions(users: readonly VirtualUser[], n: number): Promise<RequestRecord[]> {
  const each = Math.ceil(n / users.length);
  const records: RequestRecord[] = [];
  await Promise.all(
    users.map(async (user, u) => {
      for (let i = 0; i < each; i++) {
        const rec = await user.predict(`x${u}-${i}`, 10_000);
        if (rec.outcome !== "completed")
          throw new Error(`prediction ${i} of user ${u}: ${rec.outcome} ${rec.error ?? ""}`);
        records.push(rec);
      }
    }),
  );
  return records;
}

/** Each target's rounds of `combo`: `rounds` of `n` predictions, alternating. `log` gets a line per round. */
export async function measureCombo(
  servers: ReadonlyMap<string, SpawnedServer>,
  combo: CpuCombo,
  n: number,
  rounds: number,
  log: (line: string) => void,
): Promise<Map<string, CpuRound[]>> {
  const targets = [...servers.keys()];
  const users = new Map<string, VirtualUser[]>();
  const perRound = new Map<string, CpuRound[]>(targets.map((t) => [t, []]));
  const label = comboLabel(combo);
  try {
    for (const t of targets) {
      const transport = transportFor(combo.protocol, servers.get(t)!.url, { freshSession: combo.pattern === "fresh" });
      const u = Array.from({ length: combo.users }, (_, i) => transport.createUser(i));
      users.set(t, u);
      await predictions(u, Math.ceil(n / 4)); // warm-up: JIT, pools, first-run averages
    }
    for (let r = 0; r < rounds; r++) {
      for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
        const pid = servers.get(t)!.pid;
        const before = readProcessCpuMs(pid);
        const callsBefore = readProcessSyscalls(pid);
        const t0 = performance.now();
        const records = await predictions(users.get(t)!, n);
        const wallMs = performance.now() - t0;
        const after = readProcessCpuMs(pid);
        const callsAfter = readProcessSyscalls(pid);
        if (before === null || after === null) throw new Error(`cannot read /proc/${pid}/stat`);
        const done = records.length;
        const round: CpuRound = {
          cpuUs: ((after - before) * 1000) / done,
          wallUs: (wallMs * 1000) / done,
          writes: (callsAfter.writes - callsBefore.writes) / done,
          reads: (callsAfter.reads - callsBefore.reads) / done,
          latenciesMs: records.map((rec) => latencyMs(rec) ?? 0),
        };
        perRound.get(t)!.push(round);
        log(
          `${label} round ${r + 1} ${t.padEnd(8)} ${round.cpuUs.toFixed(0).padStart(4)} µs CPU/prediction` +
            `  ${round.wallUs.toFixed(0).padStart(4)} µs wall/prediction` +
            `  writes ${round.writes.toFixed(2)}  reads ${round.reads.toFixed(2)}`,
        );
      }
    }
  } finally {
    for (const u of users.values()) for (const user of u) user.close();
  }
  return perRound;
}
