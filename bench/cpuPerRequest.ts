/**
 * CPU time per prediction of each server under test: one user (or `--users=U`, each sequential)
 * makes N predictions of the identity function (queue on, concurrencyCount 1), and the server child's user + system time
 * is read from /proc/PID/stat before and after. Throughput on a shared machine is noisy; a
 * server's own CPU per request is much less so, and it is what the overhead target comes down to
 * once a server saturates its core.
 *
 *   node scripts/ensure-dist.mjs && node --conditions=usher-source --import tsx bench/cpuPerRequest.ts [--n=4000] [--rounds=3] [--users=1] [--target=usher] [--baseline=DIR]
 *
 * `--baseline=DIR` adds a third server, "baseline": Usher from another checkout (e.g. a copy of the
 * tree before a change), spawned by that checkout's own bench/servers/spawnServer.ts, so that before
 * and after are measured in the same run, interleaved, under the same outside load.
 *
 * Rounds alternate the targets (floor, usher, floor, usher, …) on the same two processes after a
 * warm-up of N/4 predictions each; every round is printed, then the minimum per target (load from
 * outside only ever adds). BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=prof") reaches the
 * children as in `npm run bench`.
 */
import { readProcessCpuMs } from "./load/CpuMeter.ts";
import { SseTransport } from "./load/SseTransport.ts";
import type { VirtualUser } from "./load/Transport.ts";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { spawnServer, TARGETS, type SpawnedServer } from "./servers/spawnServer.ts";
import type { ServerSpec } from "./servers/ServerSpec.ts";

const SPEC: ServerSpec = { fn: { kind: "identity" }, concurrencyCount: 1, maxSize: null };

function argValue(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? fallback : hit.slice(name.length + 3);
}

/** Runs `n` predictions, split over the users (each sequential); throws on the first that does not complete. */
async function predictions(users: readonly VirtualUser[], n: number): Promise<number> {
  const t0 = performance.now();
  const each = Math.ceil(n / users.length);
  await Promise.all(
    users.map(async (user, u) => {
      for (let i = 0; i < each; i++) {
        const rec = await user.predict(`x${u}-${i}`, 10_000);
        if (rec.outcome !== "completed")
          throw new Error(`prediction ${i} of user ${u}: ${rec.outcome} ${rec.error ?? ""}`);
      }
    }),
  );
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const n = Number(argValue("n", "4000"));
  const rounds = Number(argValue("rounds", "3"));
  const only = argValue("target", "");
  const baseline = argValue("baseline", "");
  const userCount = Number(argValue("users", "1"));
  const targets: string[] = TARGETS.filter((t) => only === "" || t === only);
  if (baseline !== "") targets.push("baseline");
  const servers = new Map<string, { server: SpawnedServer; users: VirtualUser[] }>();
  try {
    for (const t of targets) {
      const server =
        t === "baseline"
          ? await (
              (await import(pathToFileURL(resolve(baseline, "bench/servers/spawnServer.ts")).href)) as {
                spawnServer: typeof spawnServer;
              }
            ).spawnServer("usher", SPEC)
          : await spawnServer(t as "floor" | "usher", SPEC);
      const transport = new SseTransport(server.url);
      const users = Array.from({ length: userCount }, (_, i) => transport.createUser(i));
      await predictions(users, Math.ceil(n / 4)); // warm-up: JIT, pools, first-run averages
      servers.set(t, { server, users });
    }
    const best = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
        const { server, users } = servers.get(t)!;
        const before = readProcessCpuMs(server.pid);
        const wallMs = await predictions(users, n);
        const after = readProcessCpuMs(server.pid);
        if (before === null || after === null) throw new Error(`cannot read /proc/${server.pid}/stat`);
        const us = ((after - before) * 1000) / n;
        best.set(t, Math.min(best.get(t) ?? Infinity, us));
        console.log(
          `round ${r + 1} ${t.padEnd(8)}  ${us.toFixed(0).padStart(4)} µs CPU/prediction` +
            `  ${((wallMs * 1000) / n).toFixed(0).padStart(4)} µs wall/prediction  (${n}, ${userCount} user${userCount === 1 ? "" : "s"})`,
        );
      }
    }
    console.log(`best: ${[...best].map(([t, us]) => `${t} ${us.toFixed(0)} µs`).join(", ")}`);
  } finally {
    for (const { server, users } of servers.values()) {
      for (const user of users) user.close();
      await server.stop();
    }
  }
}

await main();
