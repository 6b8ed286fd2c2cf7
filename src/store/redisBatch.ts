/**
 * The batch script: several calls of the hot-path scripts (admission, claim, release) that a node
 * makes in one turn of its event loop, run by one `EVALSHA` (see {@link ScriptBatch}).
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
 * (those after P and node). Returns per call {1, result} or {0, error message} (a failing
 * `redis.call` raises a table with the reply's text in `err`; `error()` a string).
 */
import { QUEUE_LIB } from "./redisQueueScripts.ts";
import { SCRIPTS, type ScriptName } from "./redisScripts.ts";

/** The scripts a batch runs: the ones a front calls per prediction. */
export const BATCHED: ReadonlySet<ScriptName> = new Set<ScriptName>(["usherEnqueue", "usherClaim", "usherRelease"]);

/** The body of a script that starts with {@link QUEUE_LIB}: what follows the shared helpers. */
function bodyOf(name: ScriptName): string {
  const lua = SCRIPTS[name];
  if (!lua.startsWith(QUEUE_LIB)) throw new Error(`${name} does not start with the queue scripts' helpers`);
  return lua.slice(QUEUE_LIB.length);
}

/**
 * The batch script. `local ARGV = ARGV` comes first, so that the helpers below read the ARGV of
 * the call being run, which the loop swaps in; `running_n` (CLAIM_LIB's per-call count of running
 * claims) starts empty for each call, as it does in a script of its own.
 */
export const BATCH_LUA = `local ARGV = ARGV
${QUEUE_LIB}
local BATCH = ARGV
local CALLS = {}
${[...BATCHED].map((name) => `CALLS['${name}'] = function()\n${bodyOf(name)}\nend`).join("\n")}
local out = {}
local at = 4
for i = 1, tonumber(BATCH[3]) do
  local name, argc = BATCH[at], tonumber(BATCH[at + 1])
  local args = {P, NODE, unpack(BATCH, at + 2, at + 1 + argc)}
  at = at + 2 + argc
  ARGV = args
  running_n = {}
  local ok, res = pcall(CALLS[name])
  if ok then out[i] = {1, res}
  elseif type(res) == 'table' and res.err then out[i] = {0, res.err}
  else out[i] = {0, tostring(res)} end
end
return out
`;
