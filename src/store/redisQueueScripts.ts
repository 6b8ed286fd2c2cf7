/**
 * The Lua scripts of {@link RedisStore}'s queue: admission, claiming a slot and a batch,
 * releasing, removing and cancelling, ranks and the snapshots ETAs are computed from.
 */
import { PRELUDE } from "./redisPrelude.ts";

/**
 * enqueue: ARGV = P, node, eventId, sessionHash, fnId, poolId, jobJson, maxSize ("" = none), sessionTtlMs.
 * Returns {1, rank, poolSize, total, running} | {0, total} (full) | {-1, total} (duplicate id), where
 * `running` is, for the pool's head only, {fnId, ageMs, ...} of the pool's running jobs.
 */
export const ENQUEUE = `${PRELUDE}
local e, h, fn, pool, json, maxSize, ttl = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local size = tonumber(redis.call('GET', P .. 'size') or '0')
if maxSize ~= '' and size >= tonumber(maxSize) then return {0, size} end
local jk = P .. 'job:' .. e
if redis.call('EXISTS', jk) == 1 then return {-1, size} end
local seq = redis.call('INCR', P .. 'seq')
redis.call('HSET', jk, 'json', json, 'pool', pool, 'fn', fn, 'seq', seq, 'ses', h, 'origin', NODE, 'tries', 0)
redis.call('ZADD', P .. 'wait:' .. pool, seq, fn .. ':' .. e)
redis.call('ZADD', P .. 'fnq:' .. fn .. ':' .. pool, seq, e)
redis.call('ZADD', P .. 'sesq:' .. h, seq, e)
redis.call('SADD', P .. 'pools', pool)
size = redis.call('INCR', P .. 'size')
local base = P .. 'ses:' .. h
redis.call('SADD', base .. ':pending', e)
redis.call('PEXPIRE', base .. ':pending', ttl)
redis.call('SADD', base .. ':nodes', NODE)
redis.call('PEXPIRE', base .. ':nodes', ttl)
redis.call('SADD', P .. 'nses:' .. NODE, h)
local rank = redis.call('ZRANK', P .. 'wait:' .. pool, fn .. ':' .. e)
local poolSize = redis.call('ZCARD', P .. 'wait:' .. pool)
redis.call('PUBLISH', P .. 'wake', NODE .. ' j ' .. pool)
local running = {}
if rank == 0 then
  local now = now_ms()
  local runs = redis.call('ZRANGE', P .. 'run:' .. pool, 0, -1, 'WITHSCORES')
  for i = 1, #runs, 2 do
    local runFn = redis.call('HGET', P .. 'claim:' .. runs[i], 'fn')
    if runFn then
      running[#running + 1] = runFn
      running[#running + 1] = now - tonumber(runs[i + 1])
    end
  end
end
return {1, rank, poolSize, size, running}
`;

/**
 * claim: ARGV = P, node, claimId, leaseMs, nPools, (pool, limit|"")..., nFns, (fnId, batchSize)...
 * Returns false, or {poolId, fnId, jobJson...}.
 */
export const CLAIM = `${PRELUDE}
local claimId, leaseMs, nPools = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local best, bestScore, bestMember
for i = 0, nPools - 1 do
  local pool, limit = ARGV[6 + 2 * i], ARGV[7 + 2 * i]
  if limit == '' or redis.call('ZCARD', P .. 'run:' .. pool) < tonumber(limit) then
    local head = redis.call('ZRANGE', P .. 'wait:' .. pool, 0, 0, 'WITHSCORES')
    if head[1] then
      local score = tonumber(head[2])
      if best == nil or score < bestScore then best, bestScore, bestMember = pool, score, head[1] end
    end
  end
end
if best == nil then return false end
local fn = string.match(bestMember, '^(%-?%d+):')
local batch = 1
local at = 6 + 2 * nPools
local nFns = tonumber(ARGV[at])
for i = 0, nFns - 1 do
  if ARGV[at + 1 + 2 * i] == fn then batch = tonumber(ARGV[at + 2 + 2 * i]) end
end
local ids = redis.call('ZRANGE', P .. 'fnq:' .. fn .. ':' .. best, 0, batch - 1)
local now = now_ms()
local out = {best, fn}
local byOrigin = {}
for _, e in ipairs(ids) do
  local jk = P .. 'job:' .. e
  local f = redis.call('HMGET', jk, 'json', 'ses', 'origin')
  unqueue(e, best, fn, f[2])
  redis.call('HSET', jk, 'claim', claimId)
  redis.call('HINCRBY', jk, 'tries', 1)
  out[#out + 1] = f[1]
  add_origin(byOrigin, f[3], e)
end
redis.call('HSET', P .. 'claim:' .. claimId, 'pool', best, 'fn', fn, 'node', NODE, 'start', now, 'events', cjson.encode(ids))
redis.call('ZADD', P .. 'run:' .. best, now, claimId)
redis.call('ZADD', P .. 'leases', now + leaseMs, claimId)
tell_origins(byOrigin)
redis.call('PUBLISH', P .. 'wake', NODE .. ' c ' .. best)
return out
`;

/** release: ARGV = P, node, claimId. Frees the claim's slot and forgets its jobs. Returns 1, or 0 when unknown (reaped). */
export const RELEASE = `${PRELUDE}
local claimId = ARGV[3]
local ck = P .. 'claim:' .. claimId
local c = redis.call('HMGET', ck, 'pool', 'events')
if not c[1] then return 0 end
redis.call('ZREM', P .. 'run:' .. c[1], claimId)
redis.call('ZREM', P .. 'leases', claimId)
redis.call('DEL', ck)
for _, e in ipairs(cjson.decode(c[2])) do
  local jk = P .. 'job:' .. e
  if redis.call('HGET', jk, 'claim') == claimId then redis.call('DEL', jk) end
end
redis.call('PUBLISH', P .. 'wake', NODE .. ' r ' .. c[1])
return 1
`;

/** remove: ARGV = P, node, eventId. Returns the job JSON, or false when not waiting. */
export const REMOVE = `${PRELUDE}
local byOrigin = {}
local json = remove_waiting(ARGV[3], byOrigin)
tell_origins(byOrigin)
return json
`;

/** removeSession: ARGV = P, node, sessionHash. Returns the removed jobs' JSON in admission order. */
export const REMOVE_SESSION = `${PRELUDE}
local byOrigin = {}
local out = {}
for _, e in ipairs(redis.call('ZRANGE', P .. 'sesq:' .. ARGV[3], 0, -1)) do
  local json = remove_waiting(e, byOrigin)
  if json then out[#out + 1] = json end
end
tell_origins(byOrigin)
return out
`;

/**
 * cancelEvent: ARGV = P, node, eventId, reason. A waiting event is removed: {1, jobJson}. A running
 * one is handed to the node running it (a "C" message): {2}. Unknown: {0}.
 */
export const CANCEL_EVENT = `${PRELUDE}
local e = ARGV[3]
local jk = P .. 'job:' .. e
local claimId = redis.call('HGET', jk, 'claim')
if claimId then
  local runner = redis.call('HGET', P .. 'claim:' .. claimId, 'node')
  if not runner then return {0} end
  redis.call('PUBLISH', P .. 'to:' .. runner, 'C' .. cjson.encode({e, ARGV[4]}))
  return {2}
end
local byOrigin = {}
local json = remove_waiting(e, byOrigin)
tell_origins(byOrigin)
if json then return {1, json} end
return {0}
`;

/**
 * cancelRunningSession: ARGV = P, node, sessionHash, reason. Asks the nodes (other than this one)
 * running events of the session to cancel them. Returns how many were asked for.
 */
export const CANCEL_RUNNING_SESSION = `${PRELUDE}
local n = 0
for _, e in ipairs(redis.call('SMEMBERS', P .. 'ses:' .. ARGV[3] .. ':pending')) do
  local claimId = redis.call('HGET', P .. 'job:' .. e, 'claim')
  if claimId then
    local runner = redis.call('HGET', P .. 'claim:' .. claimId, 'node')
    if runner and runner ~= NODE then
      redis.call('PUBLISH', P .. 'to:' .. runner, 'C' .. cjson.encode({e, ARGV[4]}))
      n = n + 1
    end
  end
end
return n
`;

/** rank: ARGV = P, node, eventId. Returns {rank, poolSize} or false. */
export const RANK = `${PRELUDE}
local f = redis.call('HMGET', P .. 'job:' .. ARGV[3], 'pool', 'fn', 'claim')
if not f[1] or f[3] then return false end
local key = P .. 'wait:' .. f[1]
local rank = redis.call('ZRANK', key, f[2] .. ':' .. ARGV[3])
if not rank then return false end
return {rank, redis.call('ZCARD', key)}
`;

/** waiting: ARGV = P, node, poolId. Returns the waiting jobs' JSON, head first. */
export const WAITING = `${PRELUDE}
local out = {}
for _, m in ipairs(redis.call('ZRANGE', P .. 'wait:' .. ARGV[3], 0, -1)) do
  local e = string.sub(m, string.find(m, ':', 1, true) + 1)
  local json = redis.call('HGET', P .. 'job:' .. e, 'json')
  if json then out[#out + 1] = json end
end
return out
`;

/** poolSizes: ARGV = P, node. Returns {pool, size, pool, size...} for pools with waiting events. */
export const POOL_SIZES = `${PRELUDE}
local out = {}
for _, pool in ipairs(redis.call('SMEMBERS', P .. 'pools')) do
  local n = redis.call('ZCARD', P .. 'wait:' .. pool)
  if n > 0 then out[#out + 1] = pool; out[#out + 1] = n end
end
return out
`;

/**
 * snapshot: ARGV = P, node, poolId. For ETAs: {now, {"fnId:eventId"...}, {fnId, ageMs, fnId, ageMs...}}:
 * the pool's waiting events in order, then its running jobs (function and age).
 */
export const SNAPSHOT = `${PRELUDE}
local pool = ARGV[3]
local now = now_ms()
local waiting = redis.call('ZRANGE', P .. 'wait:' .. pool, 0, -1)
local running = {}
local runs = redis.call('ZRANGE', P .. 'run:' .. pool, 0, -1, 'WITHSCORES')
for i = 1, #runs, 2 do
  local fn = redis.call('HGET', P .. 'claim:' .. runs[i], 'fn')
  if fn then
    running[#running + 1] = fn
    running[#running + 1] = now - tonumber(runs[i + 1])
  end
end
return {now, waiting, running}
`;
