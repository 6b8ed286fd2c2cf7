/**
 * Redis's CPU for the same recorded traffic under two versions of the store's Lua: a steady
 * before-and-after for script changes, where live runs on a small VM drift ±20%.
 *
 * Record once (the calls a front's engine makes, from `redisPerEvent`; Lua-internal commands are
 * left out on replay):
 *
 *   redis-cli monitor > cap.txt &  node --conditions=usher-source --import tsx bench/redisPerEvent.ts \
 *     --rounds=1 --n=8000 --fresh;  kill %1
 *
 * then replay it with the scripts of each checkout (e.g. a `git worktree` of the commit before),
 * alternating, each replay under a fresh key prefix that is deleted afterwards:
 *
 *   node --conditions=usher-source --import tsx bench/luaReplay.ts cap.txt --recorded=DIR \
 *     [--candidate=DIR ...] [--reps=5] [--url=redis://127.0.0.1:6379] [--instructions]
 *
 * `--recorded` is the checkout whose scripts made the capture (its script hashes, and its batch
 * function's name, name the calls); each `--candidate` (default: this checkout) runs every call
 * under its script of the same name, or with `DIR#function` its hot-path calls (batches and lone
 * ones) as its batch function, as a node on Redis 7 sends them.
 * Prints Redis's CPU (user + system, from INFO, {@link RedisMeter}) and its time inside script calls
 * (commandstats `usec`, steadier) per replay, and their medians per candidate. Leases
 * expire by the recording's clock, so `usherReap` calls are not replayed.
 *
 * `--instructions` counts instead the machine instructions Redis executes per admission, each
 * replay on a fresh server of its own under Valgrind's callgrind (`load/CallgrindRedis.ts`; `--url`
 * is not used): the same replay repeats within 0.3% where its CPU time moves ±15–20%, so one rep
 * per candidate (the default there) tells a change of 1–2%. About a minute per replay of 10,000
 * predictions, two at a time.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { argValue } from "./load/argValue.ts";
import { deleteRedisKeys } from "./load/deleteRedisKeys.ts";
import { inclusiveCounts, startCallgrindRedis } from "./load/CallgrindRedis.ts";
import { RedisMeter } from "./load/RedisMeter.ts";
import { median } from "./report/summarize.ts";

/** Top-level commands besides EVALSHA that a front sends with its scripts. */
const PLAIN = new Set(["publish", "multi", "lpush", "ltrim", "exec", "xdel", "pexpire"]);
/** Commands per pipeline on replay: about a busy front's turn. */
const CHUNK = 64;

const here = fileURLToPath(new URL("..", import.meta.url));
const capture = process.argv.slice(2).find((a) => !a.startsWith("--"));
const recorded = argValue("recorded", "");
const candidates = process.argv.filter((a) => a.startsWith("--candidate=")).map((a) => a.slice(12));
if (candidates.length === 0) candidates.push(here);
const instructions = process.argv.includes("--instructions");
/** Replays per candidate: instruction counts repeat, times need several. */
const reps = Number(argValue("reps", instructions ? "1" : "5"));
const url = argValue("url", "redis://127.0.0.1:6379");
if (capture === undefined || recorded === "") {
  console.error("usage: bench/luaReplay.ts CAPTURE --recorded=DIR [--candidate=DIR ...] [--reps=5]");
  process.exit(2);
}

/** A call of a batch: its script's name and its arguments after P and node. */
interface Call {
  readonly name: string;
  readonly args: readonly (string | number)[];
}

/** Writes a batch's ARGV (P, node, n, the calls) as a checkout's nodes do. */
type Packer = (head: readonly string[], calls: readonly Call[]) => (string | number)[];

/** Every call whole: the batch's format in checkouts before `packBatch`. */
const packWhole: Packer = (head, calls) => [
  ...head,
  calls.length,
  ...calls.flatMap((c) => [c.name, c.args.length, ...c.args]),
];

/** A checkout's Lua: every script by its command name (the batch script as "batch"), and its batch function. */
interface Lua {
  readonly scripts: Map<string, string>;
  /** Null in checkouts before the batch function. */
  readonly fn: { readonly name: string; readonly library: string; readonly batched: ReadonlySet<string> } | null;
  readonly pack: Packer;
}

/**
 * The calls of a batch's ARGV after P and node (`n` or `-n`, then per call its name and argument count
 * and arguments, or a negative count, the changed positions and their arguments: see packBatch).
 */
function unpackBatch(argv: readonly string[]): Call[] {
  const calls: Call[] = [];
  const prev = new Map<string, readonly string[]>();
  let at = 1;
  // n is sent as -n by a node that wants each call's result as it is (see packBatch): as many calls.
  for (let i = 0; i < Math.abs(Number(argv[0])); i++) {
    const name = argv[at] ?? "";
    const argc = Number(argv[at + 1]);
    let args: string[];
    if (argc >= 0) {
      args = argv.slice(at + 2, at + 2 + argc);
      at += 2 + argc;
    } else {
      args = [...(prev.get(name) ?? [])];
      const changed = argv[at + 2] ?? "";
      at += 3;
      for (let j = 0; j < changed.length; j++) args[changed.charCodeAt(j) - 1] = argv[at++] ?? "";
    }
    prev.set(name, args);
    calls.push({ name, args });
  }
  return calls;
}

async function luaOf(root: string): Promise<Lua> {
  const dir = resolve(root, "src/store");
  const { SCRIPTS } = (await import(pathToFileURL(`${dir}/redisScripts.ts`).href)) as {
    SCRIPTS: Record<string, string>;
  };
  const batch = (await import(pathToFileURL(`${dir}/redisBatch.ts`).href)) as {
    BATCH_LUA: string;
    BATCHED: ReadonlySet<string>;
    BATCH_FUNCTION?: string;
    BATCH_LIBRARY?: string;
    packBatch?: Packer;
  };
  const fn =
    batch.BATCH_FUNCTION === undefined || batch.BATCH_LIBRARY === undefined
      ? null
      : { name: batch.BATCH_FUNCTION, library: batch.BATCH_LIBRARY, batched: batch.BATCHED };
  return {
    scripts: new Map([...Object.entries(SCRIPTS), ["batch", batch.BATCH_LUA]]),
    fn,
    pack: batch.packBatch ?? packWhole,
  };
}

/** The quoted arguments of a MONITOR line (`"evalsha" "…" …`), unescaped. */
function argsOf(line: string): string[] {
  const out: string[] = [];
  let i = line.indexOf('"');
  while (i >= 0) {
    let s = "";
    i++;
    while (line[i] !== '"') {
      if (line[i] !== "\\") {
        s += line[i++];
        continue;
      }
      const c = line[i + 1];
      if (c === "x") {
        s += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
        i += 4;
        continue;
      }
      s += c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c === "a" ? "\x07" : c === "b" ? "\b" : c;
      i += 2;
    }
    out.push(s);
    i = line.indexOf('"', i + 1);
  }
  return out;
}

const sha1 = (s: string): string => createHash("sha1").update(s).digest("hex");
const recordedLua = await luaOf(recorded);
const nameBySha = new Map([...recordedLua.scripts].map(([name, lua]) => [sha1(lua), name]));
const calls: string[][] = [];
let prefix = "";
for (const line of readFileSync(capture, "latin1").split("\n")) {
  if (!line.includes('] "') || line.includes("[0 lua]")) continue;
  const args = argsOf(line);
  const verb = (args[0] ?? "").toLowerCase();
  if (verb === "fcall" && args[1] === recordedLua.fn?.name) {
    // Replayed as the batch script's call: FCALL's arguments after the name are EVALSHA's after the hash.
    if (prefix === "") prefix = args[4] ?? "";
    calls.push(["evalsha", "batch", ...args.slice(2)]);
  } else if (verb === "evalsha") {
    const name = nameBySha.get(args[1] ?? "");
    if (name === undefined || name === "usherReap") continue;
    if (prefix === "") prefix = args[4] ?? "";
    calls.push(["evalsha", name, ...args.slice(2)]);
  } else if (PLAIN.has(verb)) calls.push([verb, ...args.slice(1)]);
}
/** Each recorded batch's calls (by its index in `calls`): each candidate writes the batch its own way. */
const batches = new Map<number, Call[]>();
calls.forEach((c, i) => {
  if (c[0] === "evalsha" && c[1] === "batch") batches.set(i, unpackBatch(c.slice(6)));
});
if (prefix === "") throw new Error(`no script call of ${recorded}'s scripts in ${capture}`);
console.log(`${calls.length} calls under ${prefix}`);

/** A candidate's Lua as loaded into one Redis. */
interface Loaded {
  /** Script hashes by name ("batch": the batch script). */
  readonly shas: Map<string, string>;
  /** Its batch function, when it runs as one (`DIR#function`). */
  readonly fn: Lua["fn"];
  /** How it writes a batch. */
  readonly pack: Packer;
}

/** Loads `candidate`'s scripts (and with `#function` its batch function) into `redis`. */
async function load(redis: Redis, candidate: string): Promise<Loaded> {
  const [root = "", mode] = candidate.split("#");
  const lua = await luaOf(root);
  const shas = new Map<string, string>();
  for (const [name, text] of lua.scripts) shas.set(name, String(await redis.script("LOAD", text)));
  if (mode === "function") {
    if (lua.fn === null) throw new Error(`${root} has no batch function`);
    await redis.call("FUNCTION", "LOAD", "REPLACE", lua.fn.library);
  }
  return { shas, fn: mode === "function" ? lua.fn : null, pack: lua.pack };
}

/** Sends every recorded call under `into` (a fresh key prefix) as `lua`'s nodes would; returns the errors. */
async function replay(redis: Redis, lua: Loaded, into: string): Promise<number> {
  const { shas: sha, fn, pack } = lua;
  const moved = (s: string): string => (s.includes(prefix) ? s.split(prefix).join(into) : s);
  let errors = 0;
  for (let i = 0; i < calls.length; i += CHUNK) {
    const p = redis.pipeline();
    for (let j = i; j < Math.min(i + CHUNK, calls.length); j++) {
      const [verb, ...rest] = calls[j] as string[];
      // EVALSHA's arguments after the hash: numkeys, the key, ARGV (the first two moved too).
      const [name = "", numKeys = "", key = "", P = "", node = "", ...argv] = rest.map(moved);
      const batch = batches.get(j);
      if (batch !== undefined) {
        const packed = pack(
          [P, node],
          batch.map((c) => ({ name: c.name, args: c.args.map((a) => moved(String(a))) })),
        );
        if (fn !== null) p.call("fcall", fn.name, numKeys, key, ...packed);
        else p.call("evalsha", sha.get("batch") ?? "", numKeys, key, ...packed);
      } else if (verb === "evalsha" && fn !== null && fn.batched.has(name))
        p.call("fcall", fn.name, numKeys, key, P, node, "1", name, argv.length, ...argv);
      else if (verb === "evalsha") p.call("evalsha", sha.get(rest[0] ?? "") ?? "", ...rest.slice(1).map(moved));
      else p.call(verb ?? "", ...rest.map(moved));
    }
    for (const [err] of (await p.exec()) ?? []) if (err) errors++;
  }
  return errors;
}

const errorNote = (errors: number): string => (errors > 0 ? `, ${errors} errors` : "");

/** Redis's CPU and time inside scripts per replay, candidates alternating on the one Redis at `url`. */
async function measureTime(): Promise<void> {
  const redis = new Redis(url);
  const meter = new RedisMeter(url);
  const loaded: Loaded[] = [];
  for (const candidate of candidates) loaded.push(await load(redis, candidate));
  const readings: number[][] = candidates.map(() => []);
  /** Per candidate, ms inside script calls per replay (commandstats `usec`): steadier than the CPU. */
  const scriptMs: number[][] = candidates.map(() => []);
  try {
    for (let rep = 0; rep < reps * candidates.length; rep++) {
      const which = rep % candidates.length;
      const into = `{usher-bench:${process.pid}:replay${rep}:}`;
      meter.start();
      const errors = await replay(redis, loaded[which] as Loaded, into);
      const reading = await meter.stop();
      (readings[which] as number[]).push(reading.cpuMs);
      (scriptMs[which] as number[]).push(reading.scriptUs / 1000);
      console.log(
        `replay ${rep + 1} (${candidates[which]}): Redis ${reading.cpuMs.toFixed(0)} ms, scripts ${(reading.scriptUs / 1000).toFixed(0)} ms` +
          errorNote(errors),
      );
      await deleteRedisKeys(url, into.slice(1, -1));
    }
  } finally {
    redis.disconnect();
    meter.close();
  }
  candidates.forEach((root, i) => {
    console.log(
      `${root}: median ${median(readings[i] as number[]).toFixed(0)} ms of Redis CPU, ` +
        `${median(scriptMs[i] as number[]).toFixed(0)} ms in scripts`,
    );
  });
}

/** The command procedures that only carry others (the client's command, the script around its calls). */
const CARRIERS = new Set([
  "processCommand",
  "fcallCommand",
  "evalShaCommand",
  "evalCommand",
  "evalGenericCommand",
  "scriptCommand",
]);

/**
 * Instructions Redis executes per admission in the replay, each candidate on a fresh server under
 * callgrind (CallgrindRedis.ts), counted from after its scripts loaded to the replay's last reply:
 * all of it, inside Lua (`lua_pcall`: the scripts with their commands), in the commands the scripts
 * call (`scriptCall`), and the costliest commands.
 */
async function measureInstructions(): Promise<void> {
  const admissions = calls.reduce(
    (n, c, i) =>
      n + (batches.get(i)?.filter((b) => b.name === "usherEnqueue").length ?? (c[1] === "usherEnqueue" ? 1 : 0)),
    0,
  );
  const perAdmission = (n: number): string => `${(n / admissions / 1000).toFixed(1)}k`;
  const counts: number[][] = candidates.map(() => []);
  const once = async (candidate: string): Promise<{ instructions: number; line: string }> => {
    const server = await startCallgrindRedis();
    const redis = new Redis(server.url);
    try {
      const lua = await load(redis, candidate);
      server.zero();
      const errors = await replay(redis, lua, `{usher-bench:${process.pid}:replay:}`);
      const dump = server.dump();
      const by = inclusiveCounts(dump.file);
      const commands: [string, number][] = [];
      for (const [name, n] of [...by].sort((a, b) => b[1] - a[1])) {
        if (!name.endsWith("Command") || CARRIERS.has(name)) continue;
        // A command's inner procedure (zaddGenericCommand in zaddCommand) is not listed again.
        const base = name.slice(0, -7).toLowerCase();
        if (commands.some(([o]) => base.startsWith(o.toLowerCase()))) continue;
        commands.push([name.slice(0, -7), n]);
        if (commands.length === 6) break;
      }
      const line =
        `${perAdmission(dump.instructions)} instructions an admission (${admissions} admissions${errorNote(errors)});` +
        ` in Lua ${perAdmission(by.get("lua_pcall") ?? 0)}, in the commands it calls ${perAdmission(by.get("scriptCall") ?? 0)}: ` +
        commands.map(([name, n]) => `${name} ${perAdmission(n)}`).join(", ");
      return { instructions: dump.instructions, line };
    } finally {
      redis.disconnect();
      await server.stop();
    }
  };
  for (let rep = 0; rep < reps; rep++) {
    // Two servers at a time: each is one thread, and counts do not depend on what else runs.
    for (let i = 0; i < candidates.length; i += 2) {
      const pair = candidates.slice(i, i + 2);
      // Settled, not all: a candidate that fails (its Lua does not load) must not leave the other's
      // server running when this process ends.
      const settled = await Promise.allSettled(pair.map(once));
      const results = settled.map((r) => {
        if (r.status === "rejected") throw r.reason;
        return r.value;
      });
      results.forEach((r, k) => {
        (counts[i + k] as number[]).push(r.instructions);
        console.log(`replay ${rep + 1} (${pair[k]}): ${r.line}`);
      });
    }
  }
  candidates.forEach((root, i) => {
    console.log(`${root}: median ${perAdmission(median(counts[i] as number[]))} instructions an admission`);
  });
}

if (instructions) await measureInstructions();
else await measureTime();
