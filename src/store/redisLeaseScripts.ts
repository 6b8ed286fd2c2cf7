/**
 * The Lua scripts that keep {@link RedisStore} right when processes die or Redis restarts:
 * renewing leases, reaping expired ones (retry or fail their events, let go of dead nodes'
 * sessions), restoring a claim after Redis lost its data, and failing the events it lost.
 */
import { LEVELS_LIB } from "./redisLevels.ts";
import { PRELUDE } from "./redisPrelude.ts";

/**
 * renew: ARGV = P, node, leaseMs, sessionTtlMs, (poolId, "<head>|<lease>", sessionHash)... Marks the
 * node alive, extends its leases and keeps their sessions' pending sets from expiring under a long
 * job; it counts as a node that tells the sessions it touches (`tellers`, see SoloSessions.ts) and
 * as one that takes a final of an event it admitted as the event's start (`quiet`, see QuietStarts.ts).
 * Returns {lost claims "<head>|<lease>"..., nodes, now, allTell, allQuiet}: the claims whose lease
 * is gone (reaped: their jobs were retried or failed elsewhere), how many nodes Redis knows, Redis'
 * time (ms), 1 when every node that beat within leaseMs tells, and 1 when every one is quiet too.
 */
export const RENEW = `${PRELUDE}
local leaseMs = tonumber(ARGV[3])
local now = now_ms()
redis.call('SET', P .. 'node:' .. NODE, now, 'PX', leaseMs)
redis.call('ZADD', P .. 'nodes', now, NODE)
redis.call('ZADD', P .. 'tellers', now, NODE)
redis.call('ZREMRANGEBYSCORE', P .. 'tellers', '-inf', '(' .. (now - 2 * leaseMs))
redis.call('ZADD', P .. 'quiet', now, NODE)
redis.call('ZREMRANGEBYSCORE', P .. 'quiet', '-inf', '(' .. (now - 2 * leaseMs))
local live = '(' .. (now - leaseMs)
local alive = redis.call('ZCOUNT', P .. 'nodes', live, '+inf')
local allTell = redis.call('ZCOUNT', P .. 'tellers', live, '+inf') >= alive
local allQuiet = redis.call('ZCOUNT', P .. 'quiet', live, '+inf') >= alive
local lost = {}
for i = 5, #ARGV - 2, 3 do
  local key = P .. 'run:' .. ARGV[i]
  if redis.call('ZADD', key, 'XX', 'CH', now + leaseMs, ARGV[i + 1]) == 0 and not redis.call('ZSCORE', key, ARGV[i + 1]) then
    lost[#lost + 1] = ARGV[i + 1]
  else
    redis.call('PEXPIRE', P .. 'ses:' .. ARGV[i + 2] .. ':pending', ARGV[4])
  end
end
return {lost, redis.call('ZCARD', P .. 'nodes'), now, allTell and 1 or 0, allQuiet and 1 or 0}
`;

/**
 * reap: ARGV = P, node, maxAttempts, sessionTtlMs, sessionMaxLen, failedErrorJson, retryLogJson, leaseMs.
 * Ends every lease that expired (its node stopped renewing it): each of its events that has not
 * ended goes back to its place in the queue if it has been tried fewer than maxAttempts times
 * (its user gets a warning log), else fails with the given error (and leaves its client's count).
 * Tidies too: client keys' lane records whose lane ended, client counts at 0. After a gap of more than
 * leaseMs since the previous reap (Redis was paused), it judges nothing for leaseMs: the live
 * nodes renew first.
 *
 * Then lets go of the events of dead nodes (a node is dead once it has not renewed for `leaseMs`
 * while another node did): an event admitted through a dead node whose session no live node
 * adopted has no reader left (its front died and its user did not come back through another one),
 * so it leaves the queue, or is cancelled if it runs (reason "disconnect"; the cancellations go to
 * the session's log, for a user who comes back later). Finding them reads every waiting and
 * running event once per dead node. Returns {leases, retried, failed, gone}.
 */
export const REAP = `${PRELUDE}${LEVELS_LIB}
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
local pools = redis.call('SMEMBERS', P .. 'pools')
local leases, retried, failed = 0, 0, 0
local wake = {}
for _, pool in ipairs(pools) do
  local rk = P .. 'run:' .. pool
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', rk, '-inf', now, 'LIMIT', 0, 100)) do
    leases = leases + 1
    redis.call('ZREM', rk, m)
    wake[pool] = true
    local head, lease = split_claim(m)
    local batch = redis.call('HGET', P .. 'job:' .. head, 'batch')
    local ids = {head}
    if batch then ids = cjson.decode(batch) end
    for _, e in ipairs(ids) do
      local jk = P .. 'job:' .. e
      local f = redis.call('HMGET', jk, 'lease', 'tries', 'ses', 'fn', 'lvl', 'start', 'origin', 'm', 'pos', 'at', 'ck', 'cc')
      if f[1] == lease then
        local h = f[3]
        local head = '{"eventId":' .. cjson.encode(e) .. ',"sessionHash":' .. cjson.encode(h) .. ','
        if redis.call('SISMEMBER', P .. 'ses:' .. h .. ':pending', e) == 0 then
          redis.call('DEL', jk)
          if f[12] then left_client(f[11], true) end
        elseif tonumber(f[2]) < maxAttempts then
          redis.call('HDEL', jk, 'lease', 'node', 'batch', 'more', 'pos')
          local m = requeue(e, pool, f[4], f[5], f[8], f[9], f[10], f[6])
          if not f[8] then redis.call('HSET', jk, 'm', m) end
          deliver(h, f[7], head .. '"type":"log",' .. retryJson, ttl, maxlen, true)
          retried = retried + 1
        else
          redis.call('DEL', jk)
          redis.call('SREM', P .. 'ses:' .. h .. ':pending', e)
          if f[12] then left_client(f[11], true) end
          deliver(h, f[7], head .. '"type":"failed","error":' .. errJson .. '}', ttl, maxlen, true)
          failed = failed + 1
        end
      end
    end
  end
end
for pool, _ in pairs(wake) do redis.call('PUBLISH', P .. 'wake', NODE .. ' r ' .. pool) end
-- Tidying: client keys' lane records whose lane ended (claims leave them), counts at 0.
for _, pool in ipairs(pools) do
  local levels = {'0'}
  for _, mk in ipairs(redis.call('ZRANGEBYSCORE', ring_key(pool, '0'), '-inf', '-inf')) do levels[#levels + 1] = string.sub(mk, 2) end
  tidy_lanes(pool, levels)
end
local counts = redis.call('HGETALL', P .. 'clients')
for i = 1, #counts, 2 do
  if tonumber(counts[i + 1]) <= 0 then redis.call('HDEL', P .. 'clients', counts[i]) end
end
local gone = 0
-- Dead: no heartbeat for leaseMs while another node kept beating (relative to the newest beat).
local newest = redis.call('ZRANGE', P .. 'nodes', -1, -1, 'WITHSCORES')[2]
local dead = {}
if newest then dead = redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', '(' .. (tonumber(newest) - leaseMs), 'LIMIT', 0, 20) end
if #dead == 0 then return {leases, retried, failed, 0} end
local isDead = {}
for _, n in ipairs(dead) do isDead[n] = true end
-- Whether a live node adopted the session (its user reads it there).
local held = {}
local function adopted(h)
  if held[h] == nil then
    held[h] = false
    for _, m in ipairs(redis.call('SMEMBERS', P .. 'ses:' .. h .. ':pending')) do
      local n = adopter(m)
      if n and not isDead[n] and redis.call('EXISTS', P .. 'node:' .. n) == 1 then held[h] = true; break end
    end
  end
  return held[h]
end
local byOrigin = {}
for _, pool in ipairs(pools) do
  for _, e in ipairs((pool_events(pool))) do
    local f = redis.call('HMGET', P .. 'job:' .. e, 'origin', 'ses')
    if f[1] and isDead[f[1]] and not adopted(f[2]) and remove_waiting(e, byOrigin, nil) then
      redis.call('SREM', P .. 'ses:' .. f[2] .. ':pending', e)
      deliver(f[2], f[1], '{"sessionHash":' .. cjson.encode(f[2]) .. ',"type":"cancelled","reason":"disconnect","eventId":' .. cjson.encode(e) .. '}', ttl, maxlen, false)
      gone = gone + 1
    end
  end
  for _, m in ipairs(redis.call('ZRANGE', P .. 'run:' .. pool, 0, -1)) do
    local head = split_claim(m)
    local batch = redis.call('HGET', P .. 'job:' .. head, 'batch')
    local ids = {head}
    if batch then ids = cjson.decode(batch) end
    for _, e in ipairs(ids) do
      local f = redis.call('HMGET', P .. 'job:' .. e, 'origin', 'ses', 'node')
      if f[1] and isDead[f[1]] and f[3] and not adopted(f[2]) then
        redis.call('PUBLISH', P .. 'to:' .. f[3], 'C' .. cjson.encode({e, 'disconnect'}))
        gone = gone + 1
      end
    end
  end
end
for _, n in ipairs(dead) do redis.call('ZREM', P .. 'nodes', n) end
if gone > 0 then for _, pool in ipairs(pools) do redis.call('PUBLISH', P .. 'wake', NODE .. ' x ' .. pool) end end
return {leases, retried, failed, gone}
`;

/**
 * restore: ARGV = P, node, "<head>|<lease>", leaseMs, poolId, fnId, sessionTtlMs, counted ("1":
 * the events count for maxPerClient), (eventId, sessionHash, jobJson, level, clientKey,
 * admitted)... After Redis lost its data, a node still running a claim writes it back: each event
 * it does not know again gets its job (claimed, tried once), its place in its session's pending set
 * and its client's count, and the claim its running slot and lease, as if claimed now. Returns how
 * many events were restored.
 */
export const RESTORE = `${PRELUDE}${LEVELS_LIB}
local member, leaseMs, pool, fn, ttl, counted = ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7], ARGV[8] == '1'
local head, lease = split_claim(member)
local now = now_ms()
local ids = {}
for i = 9, #ARGV - 5, 6 do
  local e, h, json, lvl, ck, at = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local jk = P .. 'job:' .. e
  if redis.call('EXISTS', jk) == 0 then
    local seq = redis.call('INCR', P .. 'seq')
    redis.call('HSET', jk, 'json', json, 'pool', pool, 'fn', fn, 'seq', seq, 'ses', h, 'origin', NODE, 'tries', 1,
      'lease', lease, 'node', NODE, 'start', now, 'm', member_of(fn, seq, at, e), 'ck', ck, 'at', at, 'lvl', lvl)
    if counted then
      redis.call('HSET', jk, 'cc', 1)
      redis.call('HINCRBY', P .. 'clients', ck, 1)
    end
    local pk = P .. 'ses:' .. h .. ':pending'
    redis.call('SADD', pk, e)
    redis.call('PEXPIRE', pk, ttl)
    ids[#ids + 1] = e
  end
end
if #ids == 0 then return 0 end
if (#ids > 1 or ids[1] ~= head) and redis.call('EXISTS', P .. 'job:' .. head) == 1 then
  redis.call('HSET', P .. 'job:' .. head, 'batch', cjson.encode(ids))
end
redis.call('SADD', P .. 'pools', pool)
redis.call('ZADD', P .. 'run:' .. pool, now + leaseMs, member)
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
    deliver(h, NODE, '{"eventId":' .. cjson.encode(e) .. ',"sessionHash":' .. cjson.encode(h) .. ',"type":"failed","error":' .. errJson .. '}', ttl, maxlen, true)
    out[#out + 1] = e
  end
end
return out
`;
