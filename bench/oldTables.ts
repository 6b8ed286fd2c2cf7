/**
 * Why a long-lived `Map` of in-flight objects makes V8 promote them (bench/README.md, 2026-12-07,
 * 08:54): the same traffic of short-lived objects (~50 alive at a time, each living ~5 ms, each a
 * ~2.5 KB graph) held in an old `Map` (set, then delete) or in the slots of an old array, with
 * garbage filling the young generation meanwhile. V8's own counters (`--trace-gc-nvp`) per
 * scavenge, for each holder, in a child process of its own.
 *
 *   node --conditions=usher-source --import tsx bench/oldTables.ts [--ms=4000]
 *
 * What it shows: a Map's hash table in the old generation is rehashed into a new old table every
 * few dozen inserts (its deleted entries fill it), and the old table, garbage now, still points at
 * every entry it held until the next full collection. A scavenge treats old objects as roots, dead
 * or not, so every entry alive at a rehash (and all it points to) survives the next scavenges and
 * is promoted, though it died milliseconds later. Array slots that are cleared keep nothing.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { argValue } from "./load/argValue.ts";
import { meanOf, scavenges } from "./load/scavenges.ts";

const child = process.argv.indexOf("--child");
if (child >= 0) runChild(process.argv[child + 1] === "map", Number(argValue("ms", "4000")));
else {
  const ms = argValue("ms", "4000");
  for (const holder of ["map", "slots"]) {
    const out = spawnSync(
      process.execPath,
      [
        "--expose-gc",
        "--trace-gc-nvp",
        "--import",
        "tsx",
        fileURLToPath(import.meta.url),
        "--child",
        holder,
        `--ms=${ms}`,
      ],
      { encoding: "utf8" },
    ).stdout;
    // The first scavenges run before the traffic is steady.
    const gcs = scavenges(out).slice(4);
    const mean = (name: string): number => meanOf(gcs, name);
    console.log(
      `${holder.padEnd(5)}: ${gcs.length} scavenges, ${mean("mutator").toFixed(1)} ms apart; ` +
        `copied ${Math.round(mean("new_space_survived") / 1024)} KB, promoted ${Math.round(mean("promoted") / 1024)} KB a scavenge`,
    );
  }
}

function runChild(useMap: boolean, ms: number): void {
  const live = new Map<string, unknown>();
  const slots: unknown[] = new Array(256).fill(null);
  const gc = (globalThis as { gc?: () => void }).gc;
  // Both holders (and the Map's table) are old from here on, as a server's are.
  gc?.();
  gc?.();
  const graph = (): unknown[] => Array.from({ length: 40 }, (_, i) => ({ x: i, s: `k${i}`, y: [i, i] }));
  let id = 0;
  let sink = 0;
  const tick = (): void => {
    // Ten new objects a millisecond, each let go 5 ms later: ~50 alive at a time.
    for (let i = 0; i < 10; i++) {
      const k = id++;
      if (useMap) live.set(`e${k}`, graph());
      else slots[k % 256] = graph();
    }
    for (let k = id - 60; k < id - 50; k++) {
      if (k < 0) continue;
      if (useMap) live.delete(`e${k}`);
      else slots[k % 256] = null;
    }
    // Garbage: what a server allocates and drops within the turn.
    for (let i = 0; i < 300; i++) sink += graph().length;
  };
  const timer = setInterval(tick, 1);
  setTimeout(() => {
    clearInterval(timer);
    if (sink < 0) console.log(sink);
  }, ms);
}
