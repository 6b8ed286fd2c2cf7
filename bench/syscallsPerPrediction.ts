/**
 * System calls per prediction of one front: its write and read calls (`/proc/<pid>/io`: `syscw`,
 * `syscr`, every socket write and read of HTTP and Redis alike) and its CPU, over a closed-loop
 * window of U users on the identity function, for a front on Redis and the in-memory process
 * (the same `clusterChild` the `scaleout` scenario runs), alternating. On a small VM a system call
 * costs 20–40 µs with its peer's wake-up, so the count explains much of a front's CPU, and unlike
 * throughput it does not drift with the machine.
 *
 *   node --conditions=usher-source --import tsx bench/syscallsPerPrediction.ts [--users=50] \
 *     [--slots=8] [--ms=4000] [--rounds=3] [--pattern=kept,fresh] [--url=redis://127.0.0.1:6379] \
 *     [--deferred=claim | --deferred=enqueue,claim,release,remove]
 *
 * `--deferred=OPS` adds a third process, "deferred": the in-memory store with those operations
 * answered a turn later (deferredMemoryStore.ts), to tell what a front pays for waiting on its
 * store apart from what it pays for Redis.
 *
 * Linux only (`/proc`). One generator, in this process: a reading of counts, not of saturation.
 */
import { ClosedLoop } from "./load/ClosedLoop.ts";
import type { CpuMeter } from "./load/CpuMeter.ts";
import { readProcessCounts } from "./load/CpuMeter.ts";
import { argValue } from "./load/argValue.ts";
import { deleteRedisKeys } from "./load/deleteRedisKeys.ts";
import { SseTransport } from "./load/SseTransport.ts";
import { DEFERRED_OPS, type DeferredOp } from "./servers/deferredMemoryStore.ts";
import { startClusterChild, type ClusterProcess } from "./servers/startClusterChild.ts";

const users = Number(argValue("users", "50"));
const slots = Number(argValue("slots", "8"));
const windowMs = Number(argValue("ms", "4000"));
const rounds = Number(argValue("rounds", "3"));
const patterns = argValue("pattern", "kept,fresh").split(",");
const url = argValue("url", "redis://127.0.0.1:6379");
const deferredOps = argValue("deferred", "")
  .split(",")
  .filter((op) => op !== "")
  .map((op) => {
    if (!(DEFERRED_OPS as readonly string[]).includes(op))
      throw new TypeError(`--deferred takes ${DEFERRED_OPS.join(",")}, got ${op}`);
    return op as DeferredOp;
  });
const prefix = `usher-bench:${process.pid}:syscalls:`;

async function start(redis: boolean, deferred: readonly DeferredOp[] = []): Promise<ClusterProcess> {
  return startClusterChild({
    role: "front",
    fn: { kind: "identity" },
    redis: redis ? { url, keyPrefix: prefix } : null,
    concurrencyCount: slots,
    maxThreads: 40,
    localWorkers: true,
    sessionGraceMs: 250,
    deferredOps: deferred,
  });
}

/** One window on `front`: its calls and CPU per completed prediction. */
async function measure(front: ClusterProcess, fresh: boolean): Promise<string> {
  const loop = new ClosedLoop(new SseTransport(front.url, { client: "raw", freshSession: fresh }), { users });
  let before = readProcessCounts(front.pid);
  let after = before;
  // Only the window counts: read the front's counters where the loop's meter would start and stop.
  const meter = {
    start: () => void (before = readProcessCounts(front.pid)),
    stop: () => ((after = readProcessCounts(front.pid)), null),
  } as unknown as CpuMeter;
  try {
    const run = await loop.round(1000, windowMs, meter);
    const done = run.records.filter((r) => r.outcome === "completed").length;
    const per = (n: number): string => (n / done).toFixed(2);
    return (
      `${Math.round((done * 1000) / windowMs)}/s, writes ${per(after.writes - before.writes)}, ` +
      `reads ${per(after.reads - before.reads)}, CPU ${Math.round(((after.cpuMs - before.cpuMs) * 1000) / done)} µs a prediction`
    );
  } finally {
    loop.close();
  }
}

const fronts: Record<string, ClusterProcess> = { memory: await start(false), redis: await start(true) };
if (deferredOps.length > 0) fronts["deferred"] = await start(false, deferredOps);
try {
  for (let round = 1; round <= rounds; round++) {
    for (const pattern of patterns) {
      for (const [name, front] of Object.entries(fronts)) {
        console.log(
          `round ${round} ${pattern.padEnd(5)} ${name.padEnd(8)}: ${await measure(front, pattern === "fresh")}`,
        );
      }
    }
  }
} finally {
  await Promise.all(Object.values(fronts).map((f) => f.stop()));
  await deleteRedisKeys(url, prefix);
}
