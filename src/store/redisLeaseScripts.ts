/**
 * The Lua scripts that keep {@link RedisStore} right when processes die or Redis restarts:
 * renewing leases, reaping expired ones (retry or fail their events, let go of dead nodes'
 * sessions), restoring a claim after Redis lost its data, and failing the events it lost.
 */
import { PRELUDE } from "./redisPrelude.ts";

/**
 * renew: ARGV = P, node, leaseMs, claimId... Marks the node alive and extends its leases.
 * Returns the claim ids whose lease is gone (reaped: their jobs were retried or failed elsewhere).
 */
export const RENEW = `${PRELUDE}
local leaseMs = tonumber(ARGV[3])
local now = now_ms()
redis.call('SET', P .. 'node:' .. NODE, now, 'PX', leaseMs)
redis.call('ZADD', P .. 'nodes', now, NODE)
local lost = {}
for i = 4, #ARGV do
  if redis.call('ZADD', P .. 'leases', 'XX', 'CH', now + leaseMs, ARGV[i]) == 0 and not redis.call('ZSCORE', P .. 'leases', ARGV[i]) then
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
`;

/**
 * reap: ARGV = P, node, maxAttempts, sessionTtlMs, sessionMaxLen, failedErrorJson, retryLogJson, leaseMs.
 * Ends every lease that expired (its node stopped renewing it): each of its events that has not
 * ended goes back to its place in the queue if it has been tried fewer than maxAttempts times
 * (its user gets a warning log), else fails with the given error. After a gap of more than
 * leaseMs since the previous reap (Redis was paused), it judges nothing for leaseMs: the live
 * nodes renew first.
 *
 * Then lets go of the sessions of dead nodes (a node is dead once it has not renewed for `leaseMs`
 * while another node did): a session no live node holds any more has no reader left
 * (its front died and its user did not come back through another one), so its waiting events
 * leave the queue and its running ones are cancelled (reason "disconnect"; the cancellations go
 * to the session's log, for a user who comes back later). Returns {leases, retried, failed, gone}.
 */
export const REAP = `${PRELUDE}
local maxAttempts, ttl, maxlen = tonumber(ARGV[3]), ARGV[4], ARGV[5]
local errJson, retryJson, leaseMs = ARGV[6], ARGV[7], tonumber(ARGV[8])
local now = now_ms()
-- Reapers run about every leaseMs / 2. A longer gap since the last one means time jumped for
-- everyone (Redis was paused, or every process stalled): every heartbeat and lease looks old. Judge
-- nothing until the live nodes have had leaseMs to renew.
local last = tonumber(redis.call('GET', P .. 'reaped') or '0')
redis.call('SET', P .. 'reaped', now)
if last > 0 and now - last > leaseMs then
  redis.call('SET', P .. 'calm', now + leaseMs, 'PX', leaseMs)
  return {0, 0, 0, 0}
end
if redis.call('EXISTS', P .. 'calm') == 1 then return {0, 0, 0, 0} end
local leases, retried, failed = 0, 0, 0
local wake = {}
for _, claimId in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', now, 'LIMIT', 0, 100)) do
  leases = leases + 1
  local ck = P .. 'claim:' .. claimId
  local c = redis.call('HMGET', ck, 'pool', 'events')
  redis.call('ZREM', P .. 'leases', claimId)
  redis.call('DEL', ck)
  if c[1] then
    redis.call('ZREM', P .. 'run:' .. c[1], claimId)
    wake[c[1]] = true
    for _, e in ipairs(cjson.decode(c[2])) do
      local jk = P .. 'job:' .. e
      local f = redis.call('HMGET', jk, 'claim', 'tries', 'ses', 'pool', 'fn', 'seq')
      if f[1] == claimId then
        local h = f[3]
        local head = '{"eventId":' .. cjson.encode(e) .. ',"sessionHash":' .. cjson.encode(h) .. ','
        if redis.call('SISMEMBER', P .. 'ses:' .. h .. ':pending', e) == 0 then
          redis.call('DEL', jk)
        elseif tonumber(f[2]) < maxAttempts then
          redis.call('HDEL', jk, 'claim')
          requeue(e, f[4], f[5], h, f[6])
          deliver(h, head .. '"type":"log",' .. retryJson, ttl, maxlen)
          retried = retried + 1
        else
          redis.call('DEL', jk)
          redis.call('SREM', P .. 'ses:' .. h .. ':pending', e)
          deliver(h, head .. '"type":"failed","error":' .. errJson .. '}', ttl, maxlen)
          failed = failed + 1
        end
      end
    end
  end
end
for pool, _ in pairs(wake) do redis.call('PUBLISH', P .. 'wake', NODE .. ' r ' .. pool) end
local gone = 0
-- Dead: no heartbeat for leaseMs while another node kept beating (relative to the newest beat).
local newest = redis.call('ZRANGE', P .. 'nodes', -1, -1, 'WITHSCORES')[2]
local dead = {}
if newest then dead = redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', '(' .. (tonumber(newest) - leaseMs), 'LIMIT', 0, 20) end
for _, n in ipairs(dead) do
  local nk = P .. 'nses:' .. n
  -- A bounded share per reap (the script blocks Redis while it runs); the rest at the next reaps.
  for _, h in ipairs(redis.call('SPOP', nk, 200)) do
    local base = P .. 'ses:' .. h
    redis.call('SREM', base .. ':nodes', n)
    local held = false
    for _, other in ipairs(redis.call('SMEMBERS', base .. ':nodes')) do
      if redis.call('EXISTS', P .. 'node:' .. other) == 1 then held = true; break end
    end
    if not held then
      local byOrigin = {}
      local head = '{"sessionHash":' .. cjson.encode(h) .. ',"type":"cancelled","reason":"disconnect","eventId":'
      for _, e in ipairs(redis.call('SMEMBERS', base .. ':pending')) do
        local claimId = redis.call('HGET', P .. 'job:' .. e, 'claim')
        if claimId then
          local runner = redis.call('HGET', P .. 'claim:' .. claimId, 'node')
          if runner then redis.call('PUBLISH', P .. 'to:' .. runner, 'C' .. cjson.encode({e, 'disconnect'})) end
        elseif remove_waiting(e, byOrigin) then
          redis.call('SREM', base .. ':pending', e)
          deliver(h, head .. cjson.encode(e) .. '}', ttl, maxlen)
        end
        gone = gone + 1
      end
      tell_origins(byOrigin)
    end
  end
  if redis.call('EXISTS', nk) == 0 then redis.call('ZREM', P .. 'nodes', n) end
end
return {leases, retried, failed, gone}
`;

/**
 * restore: ARGV = P, node, claimId, leaseMs, poolId, fnId, sessionTtlMs, (eventId, sessionHash, jobJson)...
 * After Redis lost its data, a node still running a claim writes it back: each event it does not
 * know again gets its job (claimed, tried once) and its place in its session's pending set, and
 * the claim its running slot and lease, as if claimed now. Returns how many events were restored.
 */
export const RESTORE = `${PRELUDE}
local claimId, leaseMs, pool, fn, ttl = ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local now = now_ms()
local ids = {}
for i = 8, #ARGV - 2, 3 do
  local e, h, json = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local jk = P .. 'job:' .. e
  if redis.call('EXISTS', jk) == 0 then
    local seq = redis.call('INCR', P .. 'seq')
    redis.call('HSET', jk, 'json', json, 'pool', pool, 'fn', fn, 'seq', seq, 'ses', h, 'origin', NODE, 'tries', 1, 'claim', claimId)
    local pk = P .. 'ses:' .. h .. ':pending'
    redis.call('SADD', pk, e)
    redis.call('PEXPIRE', pk, ttl)
    ids[#ids + 1] = e
  end
end
if #ids == 0 then return 0 end
redis.call('HSET', P .. 'claim:' .. claimId, 'pool', pool, 'fn', fn, 'node', NODE, 'start', now, 'events', cjson.encode(ids))
redis.call('ZADD', P .. 'run:' .. pool, now, claimId)
redis.call('ZADD', P .. 'leases', now + leaseMs, claimId)
return #ids
`;

/**
 * failLost: ARGV = P, node, sessionHash, errorJson, sessionTtlMs, sessionMaxLen, eventId... After
 * Redis lost its data: fails each event that nothing knows any more (not pending in its session,
 * no job) and that has no final message in the session's log. Returns the failed ids.
 */
export const FAIL_LOST = `${PRELUDE}
local h, errJson, ttl, maxlen = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local base = P .. 'ses:' .. h
local ended = {}
-- The log holds only what came after the loss: short, and this runs once per loss.
for _, entry in ipairs(redis.call('XRANGE', base .. ':log', '-', '+')) do
  local ok, ev = pcall(cjson.decode, entry[2][2])
  if ok and type(ev) == 'table' and (ev.type == 'completed' or ev.type == 'failed' or ev.type == 'cancelled') then
    ended[ev.eventId] = true
  end
end
local out = {}
for i = 7, #ARGV do
  local e = ARGV[i]
  if not ended[e] and redis.call('SISMEMBER', base .. ':pending', e) == 0 and redis.call('EXISTS', P .. 'job:' .. e) == 0 then
    deliver(h, '{"eventId":' .. cjson.encode(e) .. ',"sessionHash":' .. cjson.encode(h) .. ',"type":"failed","error":' .. errJson .. '}', ttl, maxlen)
    out[#out + 1] = e
  end
end
return out
`;
