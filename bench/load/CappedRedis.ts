/**
 * A private `redis-server` held to a fraction of one core by a Linux cgroup's CPU quota: the regime
 * of many fronts on one Redis (issue 16, item 4), where Redis's core, not the fronts, is the limit,
 * reproduced on a small machine. On 2 cores one or two fronts never saturate an uncapped Redis, so
 * what a change does to Redis's work per prediction at scale shows only as noise there; with
 * Redis's CPU capped, throughput is that cap divided by Redis's CPU per prediction.
 *
 * Needs a writable cgroup CPU controller (root, cgroup v1 `cpu` or v2 with `cpu` enabled); fails
 * with a clear message otherwise, rather than measuring an uncapped Redis.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, killProcess, spawnRedis } from "../../test/helpers/redisProcess.ts";

/** The quota's period: short, so that the cap throttles in small steps (10 ms, not CFS's 100 ms default). */
const PERIOD_US = 10_000;
const V1_ROOT = "/sys/fs/cgroup/cpu";
const V2_ROOT = "/sys/fs/cgroup";

/** A running capped Redis. */
export interface CappedRedis {
  readonly url: string;
  /** Cores it may use (the quota over the period). */
  readonly cores: number;
  /** Stops it and removes its cgroup. */
  stop(): Promise<void>;
}

/** A cgroup the server's threads go into, with `cores` of CPU per period. */
function makeGroup(name: string, cores: number): { dir: string; add: (pid: number) => void } {
  const quota = String(Math.max(1000, Math.round(cores * PERIOD_US)));
  if (existsSync(join(V1_ROOT, "cpu.cfs_quota_us"))) {
    const dir = join(V1_ROOT, name);
    mkdirSync(dir);
    writeFileSync(join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
    writeFileSync(join(dir, "cpu.cfs_quota_us"), quota);
    // v1 moves one thread per write to `tasks`.
    return {
      dir,
      add: (pid) => {
        for (const tid of threadsOf(pid)) writeFileSync(join(dir, "tasks"), String(tid));
      },
    };
  }
  const controllers = join(V2_ROOT, "cgroup.controllers");
  if (existsSync(controllers) && readFileSync(controllers, "utf8").split(/\s+/).includes("cpu")) {
    const dir = join(V2_ROOT, name);
    mkdirSync(dir);
    writeFileSync(join(dir, "cpu.max"), `${quota} ${PERIOD_US}`);
    return { dir, add: (pid) => writeFileSync(join(dir, "cgroup.procs"), String(pid)) };
  }
  throw new Error("no cgroup CPU controller found (cgroup v1 cpu or v2 with cpu enabled)");
}

/** Every thread of `pid` (Redis starts its background threads before it is ready). */
function threadsOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map(Number);
}

/**
 * Starts a `redis-server` on a free port of 127.0.0.1 (no persistence), held to `cores` of CPU
 * (e.g. 0.3). Throws, with the reason, where no cgroup can be made.
 */
export async function startCappedRedis(cores: number): Promise<CappedRedis> {
  if (!(cores > 0 && cores <= 64)) throw new RangeError(`Expected a CPU cap in cores (e.g. 0.3), got ${cores}`);
  const name = `usher-bench-redis-${process.pid}`;
  let group: ReturnType<typeof makeGroup>;
  try {
    group = makeGroup(name, cores);
  } catch (err) {
    throw new Error(`Cannot hold Redis to ${cores} of a core: ${(err as Error).message}. Run as root on Linux.`, {
      cause: err,
    });
  }
  const port = await freePort();
  let child: ChildProcess | null = null;
  try {
    child = await spawnRedis(port);
    group.add(child.pid ?? 0);
  } catch (err) {
    if (child !== null) await killProcess(child);
    rmdirSync(group.dir);
    throw err;
  }
  const running = child;
  return {
    url: `redis://127.0.0.1:${port}`,
    cores,
    async stop() {
      await killProcess(running);
      rmdirSync(group.dir);
    },
  };
}
