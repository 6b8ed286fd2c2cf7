/**
 * The floor under the Redis store's scripts: what Redis spends on the commands one prediction's
 * scripts call (a front at load, sessions kept: admission to the ring, release, claim of the next
 * job), run from a script with no logic of its own, several predictions a call as the batch script
 * runs them. Against `redisPerEvent`'s reading of the real scripts in the same run, the difference
 * is what the scripts' own Lua costs (tables, closures, parsing, the batch's helpers), and what a
 * leaner script with the same data could save; the floor itself is what only fewer commands save.
 */
import { Redis } from "ioredis";
import { deleteRedisKeys } from "./deleteRedisKeys.ts";
import { RedisMeter } from "./RedisMeter.ts";

/**
 * One prediction's commands at load, as `redisPerEvent` counts them for the real scripts (less the
 * bench's own SCARD and XLEN: a front holds kept sessions solo): the admission (ZCARD of the ring,
 * SADD pending, INCR seq, HMGET lanes, HSET job, ZADD ring, HSET lanes), the release of a claim
 * taken 40 admissions earlier (ZREM run, DEL job, SPOP pending) and the claim of the ring's head
 * (ZPOPMIN, HMGET job, HSET job, ZADD run): 14 commands, keys and values of the same sizes.
 */
const FLOOR_LUA = `
local P, n, json = ARGV[1], tonumber(ARGV[2]), ARGV[3]
for i = 1, n do
  local h = 's' .. (i % 50)
  redis.call('ZCARD', P .. 'wait:default')
  redis.call('SADD', P .. 'ses:' .. h .. ':pending', 'e')
  local seq = redis.call('INCR', P .. 'seq')
  local e = 'ev' .. seq
  redis.call('HMGET', P .. 'lanes:default', 'k:' .. h, '_x', 'n:' .. h, '_ml', '_L')
  local m = '0:' .. seq .. ':1796530317894.8955:' .. e
  redis.call('HSET', P .. 'job:' .. e, 'json', json, 'pool', 'default', 'fn', '0', 'seq', seq, 'ses', h,
    'origin', '2f046fbfa891a370', 'tries', '0', 'm', m, 'ck', h, 'at', '1796530317894.8955')
  redis.call('ZADD', P .. 'wait:default', seq, m)
  redis.call('HSET', P .. 'lanes:default', 'k:' .. h, m)
  local old = 'ev' .. (seq - 40)
  redis.call('ZREM', P .. 'run:default', old .. '|3y28hNzm0NKo')
  redis.call('DEL', P .. 'job:' .. old)
  redis.call('SPOP', P .. 'ses:' .. h .. ':pending', '2')
  local top = redis.call('ZPOPMIN', P .. 'wait:default')
  local head = string.match(top[1] or '', ':([^:]*)$') or 'none'
  redis.call('HMGET', P .. 'job:' .. head, 'json', 'origin', 'tries', 'more', 'ck')
  redis.call('HSET', P .. 'job:' .. head, 'lease', '3y28hNzm0NKo', 'node', '2f046fbfa891a370', 'start', '1796530317894',
    'tries', '1', 'pos', top[2] or '0')
  redis.call('ZADD', P .. 'run:default', '1796530917894', head .. '|3y28hNzm0NKo')
end
return n
`;

/** A job's JSON of the size the bench's identity jobs have. */
const JOB_JSON = JSON.stringify({
  eventId: "1b60x000000000000000000002388",
  sessionHash: "s38",
  fnId: 0,
  poolId: "default",
  data: [22],
  rootUrl: "",
  meta: {},
  enqueuedAtMs: 1090.528581,
});

/** Redis' work per prediction of the floor script. */
export interface LuaFloorReading {
  /** Redis' CPU (user + system) per prediction, µs: the scripts and the network. */
  readonly redisCpuUs: number;
  /** Time inside the script calls per prediction, µs (`INFO commandstats`): the scripts alone. */
  readonly scriptUs: number;
}

/**
 * Runs `preds` predictions' commands through the floor script, `perCall` predictions a call, one
 * call at a time (as a front's batches go: one write, one answer), on keys under a prefix of its
 * own that it deletes afterwards.
 */
export async function measureLuaFloor(url: string, preds: number, perCall: number): Promise<LuaFloorReading> {
  const prefix = `usher-bench:${process.pid}:floor:`;
  const P = `{${prefix}}`;
  const redis = new Redis(url);
  const meter = new RedisMeter(url);
  try {
    const sha = (await redis.script("LOAD", FLOOR_LUA)) as string;
    await redis.evalsha(sha, 0, P, 40, JOB_JSON); // 40 waiting, as at 50 users and 8 slots
    meter.start();
    let done = 0;
    while (done < preds) {
      await redis.evalsha(sha, 0, P, perCall, JOB_JSON);
      done += perCall;
    }
    const r = await meter.stop();
    return { redisCpuUs: (r.cpuMs * 1000) / done, scriptUs: r.scriptUs / done };
  } finally {
    meter.close();
    redis.disconnect();
    await deleteRedisKeys(url, prefix);
  }
}
