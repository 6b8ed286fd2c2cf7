/**
 * What V8's young generation does in one front, per scavenge and per prediction: the bytes that
 * survive a scavenge (copied), the bytes promoted to the old generation, the scavenges' time, and
 * the front's CPU and system calls, for a front on Redis and the in-memory process (the same
 * `clusterChild` the `scaleout` scenario runs), alternating. The figures are V8's own
 * (`--trace-gc-nvp` in the front, its stdout copied to a file): a front on Redis copies and promotes
 * several times what the memory process does, and its scavenges cost accordingly (bench/README.md,
 * 2026-12-07, 06:12).
 *
 *   node --conditions=usher-source --import tsx bench/youngGen.ts [--users=50] [--ms=4000] \
 *     [--rounds=2] [--pattern=fresh] [--sleep-ms=0] [--sides=memory,redis] [--url=redis://127.0.0.1:6379]
 *
 * `--sleep-ms=N` runs a function that waits N ms on a timer instead of the identity: every stream
 * is then open while its event runs, as with a real model. `BENCH_NODE_ARGS` reaches the fronts too
 * (e.g. a V8 flag to compare). Linux only (`/proc`); one generator, in this process.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClosedLoop } from "./load/ClosedLoop.ts";
import type { CpuMeter } from "./load/CpuMeter.ts";
import { readProcessCounts } from "./load/CpuMeter.ts";
import { argValue } from "./load/argValue.ts";
import { deleteRedisKeys } from "./load/deleteRedisKeys.ts";
import { meanOf, scavenges } from "./load/scavenges.ts";
import { SseTransport } from "./load/SseTransport.ts";
import { startClusterChild, type ClusterProcess } from "./servers/startClusterChild.ts";

const users = Number(argValue("users", "50"));
const windowMs = Number(argValue("ms", "4000"));
const rounds = Number(argValue("rounds", "2"));
const fresh = argValue("pattern", "fresh") === "fresh";
const sleepMs = Number(argValue("sleep-ms", "0"));
const sides = argValue("sides", "memory,redis").split(",");
const url = argValue("url", "redis://127.0.0.1:6379");
const prefix = `usher-bench:${process.pid}:younggen:`;
const dir = mkdtempSync(join(tmpdir(), "usher-younggen-"));

process.env["BENCH_NODE_ARGS"] = `${process.env["BENCH_NODE_ARGS"] ?? ""} --trace-gc-nvp`.trim();

interface Front {
  readonly process: ClusterProcess;
  readonly log: string;
}

async function start(side: string): Promise<Front> {
  const log = join(dir, `${side}.log`);
  const process = await startClusterChild(
    {
      role: "front",
      fn: sleepMs > 0 ? { kind: "sleep", sleepMs } : { kind: "identity" },
      redis: side === "redis" ? { url, keyPrefix: prefix } : null,
      concurrencyCount: 8,
      maxThreads: 40,
      localWorkers: true,
      sessionGraceMs: 250,
    },
    { stdoutFile: log },
  );
  return { process, log };
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

async function measure(front: Front): Promise<string> {
  const pid = front.process.pid;
  const loop = new ClosedLoop(new SseTransport(front.process.url, { client: "raw", freshSession: fresh }), { users });
  let from = 0;
  let to = 0;
  let before = readProcessCounts(pid);
  let after = before;
  // Only the window counts: the front's counters and its log where the loop's meter starts and stops.
  const meter = {
    start: () => {
      from = sizeOf(front.log);
      before = readProcessCounts(pid);
    },
    stop: () => {
      to = sizeOf(front.log);
      after = readProcessCounts(pid);
      return null;
    },
  } as unknown as CpuMeter;
  try {
    const run = await loop.round(1500, windowMs, meter);
    const done = run.records.filter((r) => r.outcome === "completed").length;
    // Let the last lines of the window reach the file.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = readFileSync(front.log, "utf8").slice(from, to);
    const gcs = scavenges(text);
    const mean = (k: string): number => meanOf(gcs, k);
    const totalMs = gcs.reduce((a, g) => a + (g.get("pause") ?? 0), 0);
    return (
      `${Math.round((done * 1000) / windowMs)}/s, CPU ${Math.round(((after.cpuMs - before.cpuMs) * 1000) / done)} µs a prediction, ` +
      `writes ${((after.writes - before.writes) / done).toFixed(2)}; ${gcs.length} scavenges: ` +
      `survived ${Math.round(mean("new_space_survived") / 1024)} KB, promoted ${Math.round(mean("promoted") / 1024)} KB, ` +
      `${mean("pause").toFixed(2)} ms each, ${((totalMs * 1000) / done).toFixed(1)} µs a prediction`
    );
  } finally {
    loop.close();
  }
}

const fronts = new Map<string, Front>();
try {
  for (const side of sides) fronts.set(side, await start(side));
  const label = `${fresh ? "fresh" : "kept"}, ${users} users${sleepMs > 0 ? `, sleep ${sleepMs} ms` : ""}`;
  for (let round = 1; round <= rounds; round++) {
    for (const [side, front] of fronts)
      console.log(`round ${round} ${label}, ${side.padEnd(6)}: ${await measure(front)}`);
  }
} finally {
  await Promise.all([...fronts.values()].map((f) => f.process.stop()));
  if (sides.includes("redis")) await deleteRedisKeys(url, prefix);
  rmSync(dir, { recursive: true, force: true });
}
