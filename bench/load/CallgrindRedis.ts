/**
 * A private `redis-server` run under Valgrind's callgrind, which counts the machine instructions
 * it executes: a measure of Redis's work that does not drift with the host. On a small shared VM
 * Redis's CPU time for the same replayed calls moves ±15–20% from one run to the next; the
 * instruction count of the same replay repeats within 0.3%, so a change of the Lua worth 1–2% shows.
 * Instructions are not time (a cache miss costs more than an add), but for the same calls under
 * two versions of the scripts they move together.
 *
 * Needs `valgrind` (Debian: `apt install valgrind`). Redis runs 30–50× slower under it.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, killProcess, spawnRedis } from "../../test/helpers/redisProcess.ts";

/** What callgrind counted between a {@link CallgrindRedis.zero} and a {@link CallgrindRedis.dump}. */
export interface CallgrindDump {
  /** Instructions executed by the server (every thread). */
  readonly instructions: number;
  /** The dump, for {@link inclusiveCounts}. */
  readonly file: string;
}

/** A running server under callgrind. */
export interface CallgrindRedis {
  readonly url: string;
  /** Starts counting from zero (what loading scripts or keys cost is left out). */
  zero(): void;
  /** Writes what was counted since the last zero. */
  dump(): CallgrindDump;
  /** Stops the server and removes its dumps. */
  stop(): Promise<void>;
}

function control(args: readonly string[]): void {
  const r = spawnSync("callgrind_control", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`callgrind_control ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
}

/** Starts `redis-server` under callgrind on a free port of 127.0.0.1 (no persistence). */
export async function startCallgrindRedis(): Promise<CallgrindRedis> {
  const probe = spawnSync("valgrind", ["--version"], { encoding: "utf8" });
  if (probe.status !== 0) throw new Error("counting instructions needs valgrind (apt install valgrind)");
  const dir = mkdtempSync(join(tmpdir(), "usher-callgrind-"));
  const out = join(dir, "cg.out");
  const port = await freePort();
  // hz 1: the server's timer (memory statistics, expiry sampling) runs once a second rather than ten
  // times, and under Valgrind's slowness ten times a second was a few % of a small measurement.
  const child: ChildProcess = await spawnRedis(
    port,
    ["valgrind", "--tool=callgrind", `--callgrind-out-file=${out}`],
    ["--hz", "1"],
  );
  const pid = String(child.pid);
  let dumps = 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    zero: () => control(["-z", pid]),
    dump() {
      control(["-d", pid]);
      dumps++;
      const file = join(dir, `cg.out.${dumps}`);
      const totals = /^totals:\s+(\d+)/m.exec(readFileSync(file, "utf8"));
      if (totals === null) throw new Error(`no totals in ${file} (of ${readdirSync(dir).join(", ")})`);
      return { instructions: Number(totals[1]), file };
    },
    async stop() {
      await killProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Instructions executed inside each function of a dump, callees included (callgrind_annotate
 * --inclusive), by name. Redis's command procedures (`hsetCommand`, `zaddCommand`…) and a few
 * entry points (`lua_pcall`, `scriptCall`) are named in its dynamic symbol table; Lua's own
 * internals are not, and are left out.
 */
export function inclusiveCounts(file: string): Map<string, number> {
  const r = spawnSync("callgrind_annotate", ["--inclusive=yes", "--threshold=100", file], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const counts = new Map<string, number>();
  for (const line of r.stdout.split("\n")) {
    const m = /^\s*([\d,]+)\s+\([^)]*\)\s+\S*?:(\w+)\s/.exec(line);
    // The first line of a name is its outermost frame (a recursive frame's name has a suffix: "'2").
    if (m !== null && !counts.has(m[2] ?? "")) counts.set(m[2] ?? "", Number((m[1] ?? "0").replaceAll(",", "")));
  }
  return counts;
}
