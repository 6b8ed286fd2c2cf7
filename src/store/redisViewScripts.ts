/**
 * The Lua scripts of {@link RedisStore} that take waiting events out (removals, cancels) and that
 * read the queue in claim order for ranks and ETAs (docs/fair-queue.md; keys in
 * docs/redis-protocol.md).
 */
import { LEVELS_LIB } from "./redisLevels.ts";
import { PRELUDE } from "./redisPrelude.ts";

/** What every script here starts with: the helpers and the fair order's. */
const VIEW_LIB = `${PRELUDE}${LEVELS_LIB}`;

/** remove: ARGV = P, node, eventId. Returns {jobJson, origin}, or false when not waiting. */
export const REMOVE = `${VIEW_LIB}
local byOrigin = {}
local json, h, origin = remove_waiting(ARGV[3], byOrigin, 'x')
tell_origins(byOrigin)
if not json then return false end
return {json, origin or ''}
`;

/** removeSession: ARGV = P, node, sessionHash. Returns the removed jobs' JSON in admission order. */
export const REMOVE_SESSION = `${VIEW_LIB}
local byOrigin = {}
local found = {}
for _, e in ipairs(redis.call('SMEMBERS', P .. 'ses:' .. ARGV[3] .. ':pending')) do
  if not adopter(e) then
    local f = redis.call('HMGET', P .. 'job:' .. e, 'seq', 'start')
    local json = remove_waiting(e, byOrigin, 'x')
    if json then found[#found + 1] = {tonumber(f[1]) or ((tonumber(f[2]) or 0) - 1e13), json} end
  end
end
tell_origins(byOrigin)
table.sort(found, function(a, b) return a[1] < b[1] end)
local out = {}
for _, f in ipairs(found) do out[#out + 1] = f[2] end
return out
`;

/**
 * cancelEvent: ARGV = P, node, eventId, reason. A waiting event is removed: {1, jobJson, origin}. A
 * running one is handed to the node running it (a "C" message): {2}. Unknown: {0}.
 */
export const CANCEL_EVENT = `${VIEW_LIB}
local e = ARGV[3]
local f = redis.call('HMGET', P .. 'job:' .. e, 'lease', 'node')
if f[1] then
  if not f[2] then return {0} end
  redis.call('PUBLISH', P .. 'to:' .. f[2], 'C' .. cjson.encode({e, ARGV[4]}))
  return {2}
end
local byOrigin = {}
local json, h, origin = remove_waiting(e, byOrigin, 'x')
tell_origins(byOrigin)
if json then return {1, json, origin or ''} end
return {0}
`;

/**
 * cancelRunningSession: ARGV = P, node, sessionHash, reason. Asks the nodes (other than this one)
 * running events of the session to cancel them. Returns how many were asked for.
 */
export const CANCEL_RUNNING_SESSION = `${VIEW_LIB}
local n = 0
for _, e in ipairs(redis.call('SMEMBERS', P .. 'ses:' .. ARGV[3] .. ':pending')) do
  local f = redis.call('HMGET', P .. 'job:' .. e, 'lease', 'node')
  if not adopter(e) and f[1] and f[2] and f[2] ~= NODE then
    redis.call('PUBLISH', P .. 'to:' .. f[2], 'C' .. cjson.encode({e, ARGV[4]}))
    n = n + 1
  end
end
return n
`;

/**
 * rank: ARGV = P, node, eventId, priorityAgingMs, fair ("1"). Returns {rank, poolSize} or false.
 * One level and no parked event: ZRANK; else the pool's walk.
 */
export const RANK = `${VIEW_LIB}
local f = redis.call('HMGET', P .. 'job:' .. ARGV[3], 'pool', 'lvl', 'm', 'lease')
if not f[1] or f[4] or not f[3] then return false end
local pool, lvl, m = f[1], f[2] or '0', f[3]
if lvl == '0' then
  local g = redis.call('HMGET', lanes_key(pool, '0'), '_x', '_L')
  if (tonumber(g[1]) or 0) == 0 and (tonumber(g[2]) or 0) == 0 then
    local key = ring_key(pool, '0')
    local rank = redis.call('ZRANK', key, m)
    if not rank then return false end
    return {rank, redis.call('ZCARD', key)}
  end
end
local order = pool_walk(pool, tonumber(ARGV[4]), ARGV[5] == '1')
for i, x in ipairs(order) do
  if x == m then return {i - 1, #order} end
end
return false
`;

/** waiting: ARGV = P, node, poolId, priorityAgingMs, fair. Returns the waiting jobs' JSON in claim order. */
export const WAITING = `${VIEW_LIB}
local out = {}
for _, m in ipairs((pool_walk(ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1'))) do
  local json = redis.call('HGET', P .. 'job:' .. event_of(m), 'json')
  if json then out[#out + 1] = json end
end
return out
`;

/** poolSizes: ARGV = P, node. Returns {pool, size, pool, size...} for pools with waiting events. */
export const POOL_SIZES = `${VIEW_LIB}
local out = {}
for _, pool in ipairs(redis.call('SMEMBERS', P .. 'pools')) do
  local n = pool_size(pool)
  if n > 0 then out[#out + 1] = pool; out[#out + 1] = n end
end
return out
`;

/**
 * snapshot: ARGV = P, node, poolId, priorityAgingMs, fair. For ETAs: {now, {"fnId:eventId"...},
 * {fnId, ageMs, fnId, ageMs...}}: the pool's waiting events in claim order, then its running jobs
 * (function and age).
 */
export const SNAPSHOT = `${VIEW_LIB}
local now = now_ms()
local list = {}
for i, m in ipairs((pool_walk(ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1'))) do
  local fn, _, _, e = parse(m)
  list[i] = fn .. ':' .. e
end
return {now, list, running_of(ARGV[3], now)}
`;
