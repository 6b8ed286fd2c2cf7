/**
 * Counts, through MONITOR, the commands Redis runs on one test's keys: top-level ones (round trips
 * from the nodes) and those run inside their Lua scripts. Used by the tests that keep the Redis
 * protocol's cost from growing back (test/cluster/redisCost.test.ts, test/store/RedisStore.test.ts).
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { connect } from "node:net";
import { SCRIPTS } from "../../src/store/redisScripts.ts";
import { REDIS_URL } from "./redis.ts";

/** What {@link countCommands} counted. */
export interface Count {
  readonly topLevel: number;
  readonly inLua: number;
  /** Commands by name (Lua-internal ones as `lua:<name>`), for the test's diagnostic. */
  readonly byName: Map<string, number>;
}

/** The scripts every node runs on timers, whatever its load (heartbeat, reaper): not a prediction's. */
const BACKGROUND = new Set(
  [SCRIPTS.usherRenew, SCRIPTS.usherReap].map((lua) => createHash("sha1").update(lua).digest("hex")),
);

/**
 * Counts the commands on keys under `prefix` while `work` runs (and a moment after, for its tail),
 * leaving out the timers' scripts and the shared call durations (one per function per 250 ms).
 */
export async function countCommands(prefix: string, work: () => Promise<void>): Promise<Count> {
  // A bare socket: ioredis' monitor() can mistake the first lines for replies under traffic.
  const url = new URL(REDIS_URL);
  const socket = connect(Number(url.port || 6379), url.hostname);
  await once(socket, "connect");
  let topLevel = 0;
  let inLua = 0;
  const byName = new Map<string, number>();
  const tally = (name: string): void => {
    byName.set(name, (byName.get(name) ?? 0) + 1);
  };
  // Whether the latest top-level command counts: a script's own commands follow it in MONITOR's
  // output (a script runs alone), TIME included, which names no key.
  let counted = false;
  let buffered = "";
  let started!: () => void;
  const ok = new Promise<void>((resolve) => (started = resolve));
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\r\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "+OK") {
        started();
        continue;
      }
      const source = /^\+[\d.]+ \[\d+ ([^\]]+)\]/.exec(line)?.[1];
      if (source === undefined) continue;
      const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? "");
      const name = (args[0] ?? "").toLowerCase();
      if (source === "lua") {
        if (counted) {
          inLua++;
          tally(`lua:${name}`);
        }
        continue;
      }
      counted =
        args.some((a) => a.includes(`{${prefix}}`)) &&
        !(name === "evalsha" && BACKGROUND.has(args[1] ?? "")) &&
        !["lpush", "ltrim", "multi", "exec"].includes(name) &&
        !(name === "publish" && / d /.test(args[2] ?? ""));
      if (counted) {
        topLevel++;
        tally(name === "evalsha" ? "evalsha" : name);
      }
    }
  });
  socket.write("MONITOR\r\n");
  await ok;
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    socket.destroy();
  }
  return { topLevel, inLua, byName };
}

/** Per prediction, a tally's commands by name, most frequent first (for the test's diagnostic). */
export function breakdown(c: Count, predictions: number): string {
  return [...c.byName]
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${(n / predictions).toFixed(2)}`)
    .join(", ");
}
