/**
 * What single operations cost Redis inside a Lua function, in machine instructions (callgrind,
 * {@link startCallgrindRedis}): a `redis.call` of a few commands, with a number or a string
 * argument, and the Lua the store's scripts are made of (string building, number formatting and
 * parsing, tables). The probes run as a function library loaded with `FUNCTION LOAD`, their
 * globals held as the library's locals, as the store's batch function runs (redisBatch.ts), so
 * that each reads as it would on the hot path. The cost model behind a protocol's design: how many
 * of an admission's instructions its commands take and how many its logic does.
 *
 *   node --conditions=usher-source --import tsx bench/luaOpCosts.ts [--reps=5]
 *
 * Each probe repeats its operation 1,000 times per `FCALL`; the figure is instructions per
 * repetition, the empty loop's subtracted. Needs Redis 7 and valgrind.
 */
import { Redis } from "ioredis";
import { argValue } from "./load/argValue.ts";
import { startCallgrindRedis } from "./load/CallgrindRedis.ts";

/**
 * Lua statements per probe, run 1,000 times with `i` the repetition, `e` an event id, `k` a key and
 * `kn`, `kz`, `kh` keys made from it before the loop.
 */
const PROBES: Readonly<Record<string, string>> = {
  empty: "x = i",
  "redis.call EXISTS": "redis.call('EXISTS', k)",
  "redis.call INCR": "redis.call('INCR', kn)",
  "redis.call ZADD, number score": "redis.call('ZADD', kz, 1796530317894, 'm')",
  "redis.call ZADD, string score": "redis.call('ZADD', kz, '1796530317894', 'm')",
  "redis.call HSET, 5 fields":
    "redis.call('HSET', kh, 'lease', e, 'node', e, 'start', '1796530317894', 'tries', '1', 'pos', '123')",
  "redis.call HMGET, 4 fields": "redis.call('HMGET', kh, 'lease', 'node', 'start', 'tries')",
  "concatenate 3 strings": "x = 'P:' .. 'job:' .. e",
  "concatenate a number": "x = e .. i",
  "tostring, 13 digits": "x = tostring(1796530317894 + i)",
  "tostring, 1 digit": "x = tostring(i % 10)",
  "tonumber, 13 digits": "x = tonumber('1796530317894')",
  "string.sub": "x = string.sub(e, 1, 8)",
  "string.find, plain": "x = string.find(e, 'f', 1, true)",
  "table of 3 fields": "x = {a = i, b = i, c = i}",
  "cjson.encode, 2 strings": "x = cjson.encode({e, e})",
};

const names = Object.keys(PROBES);
const library = `#!lua name=usher_lua_op_costs
local register = redis.register_function
local function globals() return redis, string, tonumber, tostring, cjson end
local redis, string, tonumber, tostring, cjson
local probes = {}
${names
  .map(
    (name, n) => `probes[${n + 1}] = function(e, k)
  local x
  local kn, kz, kh = k .. ':n', k .. ':z', k .. ':h'
  for i = 1, 1000 do ${PROBES[name]} end
  return x
end`,
  )
  .join("\n")}
register('usher_lua_op_cost', function(_, args)
  redis, string, tonumber, tostring, cjson = globals()
  probes[tonumber(args[1])](args[2], args[3])
  return 1
end)
`;

const reps = Number(argValue("reps", "5"));
const server = await startCallgrindRedis();
const redis = new Redis(server.url);
try {
  await redis.call("FUNCTION", "LOAD", "REPLACE", library);
  const perRepetition = new Map<string, number>();
  for (const [n, name] of names.entries()) {
    const call = (): Promise<unknown> =>
      redis.call("FCALL", "usher_lua_op_cost", 0, n + 1, "0123456789abcdef0123456789abcdef", "{usher-probe}:k");
    await call();
    server.zero();
    for (let r = 0; r < reps; r++) await call();
    perRepetition.set(name, server.dump().instructions / (reps * 1000));
  }
  const base = perRepetition.get("empty") ?? 0;
  console.log(`instructions per operation, inside a function (the empty loop's ${base.toFixed(0)} subtracted):`);
  for (const name of names.slice(1)) {
    console.log(`  ${name.padEnd(32)} ${((perRepetition.get(name) ?? 0) - base).toFixed(0).padStart(6)}`);
  }
} finally {
  redis.disconnect();
  await server.stop();
}
