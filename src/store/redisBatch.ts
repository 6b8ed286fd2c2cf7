/**
 * The batch script: several calls of the hot-path scripts (admission, claim, release, publish) that a node
 * makes in one turn of its event loop, run by one `EVALSHA`, or on Redis 7 by one `FCALL` of the
 * same code loaded as a function ({@link BATCH_LIBRARY}; see {@link ScriptBatch}).
 *
 * Why: a script call costs Redis a fixed part before its first line does anything (reading and
 * dispatching the command, building ARGV, and making the ~50 helper functions of the shared Lua
 * libraries, which every script defines again on every call), about a third of an admission's
 * cost. At load a front makes several calls per turn; one call for all of them pays that part
 * once. Each call still runs as it would alone: its own ARGV (P, node, then its arguments), its
 * own per-call state, its own result or error. They run in the order they were made, as separate
 * `EVALSHA`s in one pipeline would, and atomically together (Redis runs one script at a time).
 *
 * ARGV = P, node, n, then per call: its script's name, its argument count c, its c arguments
 * (those after P and node); or, for a call that repeats most arguments of the previous call of
 * the same script in the batch, its name, -c, the positions that differ and their arguments (see
 * {@link packBatch}). Returns per call {1, result} or {0, error message} (a failing `redis.call`
 * raises a table with the reply's text in `err`; `error()` a string); with n written as -n (as
 * Usher's nodes send it), per call its result (nil as false) or an error reply with that message.
 */
import { sha1 } from "./callScript.ts";
import { LEVELS_LIB } from "./redisLevels.ts";
import { PRELUDE, PRELUDE_ARGS } from "./redisPrelude.ts";
import { QUEUE_LIB } from "./redisQueueScripts.ts";
import { SCRIPTS, type ScriptName } from "./redisScripts.ts";

/**
 * The scripts a batch runs: the ones a front calls per prediction, and `publish`, which carries
 * every message of an event run by a node other than the one holding its stream (a worker's, or
 * another front's: each chunk of a streamed output is one).
 */
export const BATCHED: ReadonlySet<ScriptName> = new Set<ScriptName>([
  "usherEnqueue",
  "usherClaim",
  "usherRelease",
  "usherPublish",
]);

/**
 * The body of a script that starts with {@link QUEUE_LIB}, or with a part of it (PRELUDE and the
 * levels' helpers): what follows the shared helpers. The batch defines them all.
 */
function bodyOf(name: ScriptName): string {
  const lua = SCRIPTS[name];
  for (const helpers of [QUEUE_LIB, `${PRELUDE}${LEVELS_LIB}`])
    if (lua.startsWith(helpers)) return lua.slice(helpers.length);
  throw new Error(`${name} does not start with the queue scripts' helpers`);
}

/** Each batched script's body as a function of the batch, by name. */
const CALLS = `local CALLS = {}
${[...BATCHED].map((name) => `CALLS['${name}'] = function()\n${bodyOf(name)}\nend`).join("\n")}`;

/** A call of a batch: a script of {@link BATCHED} and its arguments after P and node. */
export interface BatchCall {
  readonly name: ScriptName;
  readonly args: readonly (string | number)[];
}

/**
 * Positions up to this can be named as changed: each is one character, and in UTF-8 one byte,
 * below 128.
 */
const MAX_CHANGED_POSITION = 127;

/**
 * The batch's ARGV for `calls` (P and node in `head`). A call whose arguments are as many as
 * those of the previous call of its script in the batch, and mostly the same, goes as its name,
 * minus its argument count, a string of the positions that differ (position k, from 1, as the
 * character of code k) and their arguments in that order; the rest are the previous call's. Why:
 * a front's calls of one script differ in a few arguments (ids, the session, the job, a lease), and
 * each argument costs Redis about 80 ns to read and the node about 55 ns to write. At 50 users a
 * batch then carries 41% of the arguments, and Redis spends 4% less CPU on it (those left out are
 * the cheap ones: short strings its Lua holds already). The first call of each script goes whole,
 * as does any call that would not save an argument.
 */
export function packBatch(head: readonly string[], calls: readonly BatchCall[]): (string | number)[] {
  // -n: the reply holds each call's result as it is (see the file comment).
  const out: (string | number)[] = [...head, -calls.length];
  const prev = new Map<ScriptName, readonly (string | number)[]>();
  for (const { name, args } of calls) {
    const before = prev.get(name);
    prev.set(name, args);
    if (before !== undefined && before.length === args.length && args.length <= MAX_CHANGED_POSITION) {
      let positions = "";
      for (let k = 0; k < args.length; k++) if (args[k] !== before[k]) positions += String.fromCharCode(k + 1);
      if (positions.length + 1 < args.length) {
        out.push(name, -args.length, positions);
        for (let j = 0; j < positions.length; j++) out.push(args[positions.charCodeAt(j) - 1] as string | number);
        continue;
      }
    }
    out.push(name, args.length);
    for (const a of args) out.push(a);
  }
  return out;
}

/**
 * Runs the calls of the batch BATCH: each with its own ARGV, which the helpers read, and
 * `running_n` (CLAIM_LIB's per-call count of running claims) empty, as in a script of its own.
 */
const RUN_CALLS = `local out = {}
local prev = {}
local at = 4
local n = tonumber(BATCH[3])
-- A count below 0: its calls' results go in the reply as they are, a failed call's as an error
-- reply in its place (a table per call, {1, result}, was an allocation and a level of the reply each).
local flat = n < 0
if flat then n = -n end
for i = 1, n do
  local name, argc = BATCH[at], tonumber(BATCH[at + 1])
  local args
  if argc >= 0 then
    args = {P, NODE, unpack(BATCH, at + 2, at + 1 + argc)}
    at = at + 2 + argc
  else
    -- The previous call of this script has run: its table is read again only as the base of this
    -- call's, so it is changed in place rather than copied.
    args = prev[name]
    local changed = BATCH[at + 2]
    at = at + 3
    for j = 1, #changed do
      args[string.byte(changed, j) + 2] = BATCH[at]
      at = at + 1
    end
  end
  prev[name] = args
  ARGV = args
  -- Emptied in place: a new table per call was an allocation (and the collector's work) per call.
  for p in pairs(running_n) do running_n[p] = nil end
  local ok, res = pcall(CALLS[name])
  if flat then
    if not ok then out[i] = {err = type(res) == 'table' and res.err or tostring(res)}
    elseif res == nil then out[i] = false
    else out[i] = res end
  elseif ok then out[i] = {1, res}
  elseif type(res) == 'table' and res.err then out[i] = {0, res.err}
  else out[i] = {0, tostring(res)} end
end
return out`;

/**
 * The batch script. `local ARGV = ARGV` comes first, so that the helpers below read the ARGV of
 * the call being run, which the loop swaps in.
 */
export const BATCH_LUA = `local ARGV = ARGV
${QUEUE_LIB}
local BATCH = ARGV
${CALLS}
${RUN_CALLS}
`;

if (!QUEUE_LIB.startsWith(PRELUDE_ARGS)) throw new Error("the queue scripts' helpers do not start with PRELUDE_ARGS");

/**
 * The globals the helpers and calls use, which the library holds as its own locals, set from the
 * globals at each call (a library may not read globals while it loads): in a function, a global
 * is a lookup through the sandbox's guarded table, a local of the library a plain upvalue (Redis's
 * instructions for a front's traffic fell 2.6%; a script, which would set them at every call,
 * gained nothing, so the batch script reads the globals).
 */
const GLOBALS = "redis, string, tonumber, tostring, unpack, ipairs, pairs, type, cjson, math, table";

/** The library's text with version `v` in its names (see {@link BATCH_LIBRARY}). */
function libraryText(v: string): string {
  return `#!lua name=usher_${v}
local ARGV = {}
local P, NODE
local register = redis.register_function
local function globals() return ${GLOBALS} end
local ${GLOBALS}
${QUEUE_LIB.slice(PRELUDE_ARGS.length)}
${CALLS}
register('usher_batch_${v}', function(_, BATCH)
P, NODE = BATCH[1], BATCH[2]
${GLOBALS} = globals()
${RUN_CALLS}
end)
`;
}

/** Names the library after its code: nodes of two versions on one Redis each find their own. */
const VERSION = sha1(libraryText("")).slice(0, 16);

/** The batch as a Redis 7 function (`FCALL`), in {@link BATCH_LIBRARY}. */
export const BATCH_FUNCTION = `usher_batch_${VERSION}`;

/**
 * The batch script as a Redis 7 function library (`FUNCTION LOAD`): the same calls, arguments and
 * reply, but the helpers and the calls' functions are made once, when the library loads, not at
 * every call as a script must (Redis's CPU for one front's traffic at 50 users, about 3 predictions
 * a batch, fell 14–22% in replays, and 20% with every call alone; large batches gain nothing). `P`, `NODE` and `ARGV` are the
 * library's own, set for each call: Redis runs one function at a time, and nothing else the
 * helpers keep between calls outlives a call's meaning (`running_n` is reset per call; the parsed
 * claim request is compared with each call's own).
 */
export const BATCH_LIBRARY = libraryText(VERSION);
