/**
 * The Lua scripts of {@link RedisStore}: every step that must be atomic across processes
 * (admission against `maxSize`, claiming a slot and a batch, releasing, reaping expired leases,
 * publishing a session message) is one script, so no two processes can interleave inside it.
 *
 * Conventions: ARGV[1] is the key prefix, ARGV[2] the calling node's id; keys are built from the
 * prefix inside the scripts (see the key table in RedisStore.ts). That is fine on a single Redis
 * primary (with or without replicas) and is why Redis Cluster is not supported.
 */

/** Helpers every script starts with. */
const PRELUDE = `
local P = ARGV[1]
local NODE = ARGV[2]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Takes a waiting event out of its pool, function and session queues; 1 if it was waiting.
local function unqueue(e, pool, fn, ses)
  if redis.call('ZREM', P .. 'wait:' .. pool, fn .. ':' .. e) == 0 then return 0 end
  redis.call('ZREM', P .. 'fnq:' .. fn .. ':' .. pool, e)
  redis.call('ZREM', P .. 'sesq:' .. ses, e)
  redis.call('DECR', P .. 'size')
  return 1
end
-- Puts an event back into the queues at its original place (its admission sequence).
local function requeue(e, pool, fn, ses, seq)
  redis.call('ZADD', P .. 'wait:' .. pool, seq, fn .. ':' .. e)
  redis.call('ZADD', P .. 'fnq:' .. fn .. ':' .. pool, seq, e)
  redis.call('ZADD', P .. 'sesq:' .. ses, seq, e)
  redis.call('INCR', P .. 'size')
end
-- Appends a message to a session's log and sends it to every node holding the session.
local function deliver(h, json, ttl, maxlen)
  local base = P .. 'ses:' .. h
  local id = redis.call('XADD', base .. ':log', 'MAXLEN', '~', maxlen, '*', 'e', json)
  redis.call('PEXPIRE', base .. ':log', ttl)
  -- A session that still gets messages is alive: its pending events must not expire under it.
  redis.call('PEXPIRE', base .. ':pending', ttl)
  local nodes = redis.call('SMEMBERS', base .. ':nodes')
  if #nodes > 0 then
    local msg = 'M' .. cjson.encode({h, id}) .. '\\n' .. json
    for _, n in ipairs(nodes) do redis.call('PUBLISH', P .. 'to:' .. n, msg) end
    redis.call('PEXPIRE', base .. ':nodes', ttl)
  end
  return id
end
-- Tells each origin node (other than this one) that its events left the queue elsewhere.
local function tell_origins(byOrigin)
  for origin, ids in pairs(byOrigin) do
    if origin ~= NODE then redis.call('PUBLISH', P .. 'to:' .. origin, 'L' .. cjson.encode(ids)) end
  end
end
local function add_origin(byOrigin, origin, e)
  if origin then
    local list = byOrigin[origin]
    if list == nil then list = {}; byOrigin[origin] = list end
    list[#list + 1] = e
  end
end
-- Removes a waiting event for good; returns its job JSON, or false when it is not waiting.
local function remove_waiting(e, byOrigin)
  local jk = P .. 'job:' .. e
  local f = redis.call('HMGET', jk, 'json', 'pool', 'fn', 'ses', 'origin', 'claim')
  if not f[1] or f[6] then return false end
  if unqueue(e, f[2], f[3], f[4]) == 0 then return false end
  redis.call('DEL', jk)
  add_origin(byOrigin, f[5], e)
  redis.call('PUBLISH', P .. 'wake', NODE .. ' x ' .. f[2])
  return f[1]
end
`;

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
 * publish: ARGV = P, node, sessionHash, eventId, type, eventJson, force ("1"/"0"), sessionTtlMs, sessionMaxLen.
 * Appends an engine event to its session's log and sends it to the nodes holding the session, unless
 * the event has already ended (nothing may follow a terminal message) or, for an estimation, has
 * started. A terminal message ends the event: it leaves the session's pending set (and the queue,
 * if a retry had put it back). Returns the log id, or false when dropped.
 */
export const PUBLISH = `${PRELUDE}
local h, e, kind, json, force, ttl, maxlen = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local pendingKey = P .. 'ses:' .. h .. ':pending'
if force ~= '1' and redis.call('SISMEMBER', pendingKey, e) == 0 then return false end
local jk = P .. 'job:' .. e
if kind == 'estimation' and redis.call('HEXISTS', jk, 'claim') == 1 then return false end
if kind == 'completed' or kind == 'failed' or kind == 'cancelled' then
  redis.call('SREM', pendingKey, e)
  local f = redis.call('HMGET', jk, 'pool', 'fn', 'ses', 'claim')
  if f[1] and not f[4] and unqueue(e, f[1], f[2], f[3]) == 1 then redis.call('DEL', jk) end
end
return deliver(h, json, ttl, maxlen)
`;

/**
 * adopt: ARGV = P, node, sessionHash, maxCount, sessionTtlMs, hold ("1": join even if empty). This
 * node will hold the session's stream: it joins the session's nodes, and gets the events still
 * pending and the messages after the last one a reader was given: {pendingIds, {id, json, id,
 * json...}}. Empty lists: nothing to deliver (and, unless `hold`, the node does not join).
 */
export const ADOPT = `${PRELUDE}
local base = P .. 'ses:' .. ARGV[3]
local pending = redis.call('SMEMBERS', base .. ':pending')
local cursor = redis.call('GET', base .. ':cursor')
local start = '-'
if cursor then start = '(' .. cursor end
local entries = redis.call('XRANGE', base .. ':log', start, '+', 'COUNT', tonumber(ARGV[4]))
local backlog = {}
for _, entry in ipairs(entries) do
  backlog[#backlog + 1] = entry[1]
  backlog[#backlog + 1] = entry[2][2]
end
if #pending > 0 or #backlog > 0 or ARGV[6] == '1' then
  redis.call('SADD', base .. ':nodes', NODE)
  redis.call('PEXPIRE', base .. ':nodes', ARGV[5])
  redis.call('SADD', P .. 'nses:' .. NODE, ARGV[3])
end
return {pending, backlog}
`;

/** readerElsewhere: ARGV = P, node, sessionHash. 1 when a live node other than this one has a reader of the session. */
export const READER_ELSEWHERE = `${PRELUDE}
for _, n in ipairs(redis.call('SMEMBERS', P .. 'ses:' .. ARGV[3] .. ':readers')) do
  if n ~= NODE and redis.call('EXISTS', P .. 'node:' .. n) == 1 then return 1 end
end
return 0
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

/** Every script, by the command name it is defined under. */
export const SCRIPTS = {
  usherEnqueue: ENQUEUE,
  usherClaim: CLAIM,
  usherRelease: RELEASE,
  usherRemove: REMOVE,
  usherRemoveSession: REMOVE_SESSION,
  usherCancelEvent: CANCEL_EVENT,
  usherCancelRunningSession: CANCEL_RUNNING_SESSION,
  usherRank: RANK,
  usherWaiting: WAITING,
  usherPoolSizes: POOL_SIZES,
  usherSnapshot: SNAPSHOT,
  usherRenew: RENEW,
  usherReap: REAP,
  usherPublish: PUBLISH,
  usherAdopt: ADOPT,
  usherReaderElsewhere: READER_ELSEWHERE,
  usherRestore: RESTORE,
  usherFailLost: FAIL_LOST,
} as const;

/** Name of a script command. */
export type ScriptName = keyof typeof SCRIPTS;
