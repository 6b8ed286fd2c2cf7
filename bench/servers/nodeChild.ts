/**
 * How the bench starts its Node children (servers under test, cluster fronts, load generators):
 * from the TypeScript source through tsx, as everywhere here, or from a bundle where the machine
 * has nothing but Node (the 16-core device machine: `bench/device/`), and pinned each to a core
 * of its own where the run asks for it.
 *
 * - `USHER_BENCH_BUNDLE=<dir>`: run `<dir>/<entry>.mjs` (the entry's bundle, made by
 *   `bench/device/bundle.mjs`) instead of `<entry>.ts` through tsx.
 * - `USHER_BENCH_SERVER_CORES=<list>` (e.g. "1-9" or "1,2,3"): each server child runs alone on the
 *   lowest core of the list that no running server child holds (`taskset -c`), so that a front's
 *   throughput is one core's and not the scheduler's; a child that finds every core taken fails to
 *   start. Load generators are not pinned: they share whatever cores the bench itself was given
 *   (run it under `taskset -c …`).
 */
import { spawn, type ChildProcessWithoutNullStreams, type SpawnOptions } from "node:child_process";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where every child runs: the repository's root (from a bundle, which lives elsewhere, the bench's own working directory). */
const CHILD_CWD = bundleDir() === null ? fileURLToPath(new URL("../../", import.meta.url)) : process.cwd();

/** `USHER_BENCH_BUNDLE`, or null when the bench runs from its source. */
function bundleDir(): string | null {
  const dir = process.env["USHER_BENCH_BUNDLE"];
  return dir === undefined || dir === "" ? null : dir;
}

/** Extra Node flags for the servers under test, e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" to profile them. */
export function extraNodeArgs(): string[] {
  const v = process.env["BENCH_NODE_ARGS"];
  return v === undefined || v.trim() === "" ? [] : v.trim().split(/\s+/);
}

/** Node's arguments that run the bench entry `entry` (the path of its .ts file). */
export function entryArgs(entry: string): string[] {
  const bundle = bundleDir();
  if (bundle !== null) return [join(bundle, `${basename(entry, ".ts")}.mjs`)];
  return ["--conditions=usher-source", "--import", "tsx", entry];
}

/** The cores of `USHER_BENCH_SERVER_CORES`, in order; empty when unset. */
export function serverCores(raw = process.env["USHER_BENCH_SERVER_CORES"] ?? ""): number[] {
  const cores: number[] = [];
  for (const part of raw.split(",").map((s) => s.trim())) {
    if (part === "") continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw new TypeError(`Expected USHER_BENCH_SERVER_CORES like "1-9" or "1,2,3", got "${raw}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let c = from; c <= to; c++) if (!cores.includes(c)) cores.push(c);
  }
  return cores;
}

/** Cores held by running server children. */
const heldCores = new Set<number>();

/** A started child (stdin, stdout and stderr piped) and the core it holds (null: not pinned). */
export interface NodeChild {
  readonly child: ChildProcessWithoutNullStreams;
  readonly core: number | null;
}

/**
 * Spawns Node on the bench entry `entry` with `args`; a server child (`pin`) takes a core of
 * `USHER_BENCH_SERVER_CORES` when that is set, and gives it back when it exits.
 */
export function spawnNodeChild(
  entry: string,
  args: readonly string[],
  options: { readonly pin: boolean; readonly nodeArgs?: readonly string[]; readonly spawn?: SpawnOptions },
): NodeChild {
  const nodeArgs = [...(options.nodeArgs ?? []), ...entryArgs(entry), ...args];
  // Pipes for stdin, stdout and stderr whatever else `options.spawn` adds (an IPC channel).
  const spawnOptions: SpawnOptions = { cwd: CHILD_CWD, stdio: ["pipe", "pipe", "pipe"], ...options.spawn };
  const start = (file: string, list: string[]): ChildProcessWithoutNullStreams =>
    spawn(file, list, spawnOptions) as ChildProcessWithoutNullStreams;
  const cores = options.pin ? serverCores() : [];
  if (cores.length === 0) return { child: start(process.execPath, nodeArgs), core: null };
  const core = cores.find((c) => !heldCores.has(c));
  if (core === undefined)
    throw new Error(`every core of USHER_BENCH_SERVER_CORES (${cores.join(",")}) holds a server already`);
  heldCores.add(core);
  // taskset execs Node in its own place: the child's pid is Node's.
  const child = start("taskset", ["-c", String(core), process.execPath, ...nodeArgs]);
  const release = (): void => {
    heldCores.delete(core);
  };
  child.once("exit", release);
  child.once("error", release);
  return { child, core };
}
