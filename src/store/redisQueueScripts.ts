/**
 * The Lua scripts of {@link RedisStore}'s queue: admission (which may claim for the caller in the
 * same step), claiming a slot and a batch, releasing (which may carry the claim's results and
 * claim the next job), removing and cancelling, ranks and the snapshots ETAs are computed from.
 * docs/redis-protocol.md describes every key and step.
 */
import { CLAIM_LIB, PRELUDE } from "./redisPrelude.ts";

/**
 * enqueue: ARGV = P, node, eventId, sessionHash, fnId, poolId, jobJson, maxSize ("" = none),
 * sessionTtlMs, alone ("1": no other node listens), owner ("" = none), ownerTtlMs, newPool ("1":
 * add it to `pools`), nOther, otherPool..., read finals to forget (see forget_read), then a claim
 * request (see CLAIM_LIB; lease "" when the caller cannot run a job now). `owner`: the session's
 * owner record, written (SET NX) with the admission; a session that has one already is not
 * admitted: the caller judges the record in force and joins again without it.
 *
 * Returns {1, rank, poolSize, total, running, claim, saw, known} | {0, total} (full) | {-1, 0} (an
 * id already pending in the session) | {-2, ownerInForce}; `known` 1 when the session has other pending events, an
 * adopter or messages in its log (the caller catches up with it). `running` is, for the pool's head only, {fnId, ageMs, ...} of
 * the pool's running jobs; `claim` is false or the claim made for the caller; `saw` 1 when work may
 * still wait in the request's pools (see try_claim). When the pool is idle and the caller may run
 * it, the event is claimed at once without entering the queue (the fast path: rank 0, claim = this
 * event).
 */
export const ENQUEUE = `${PRELUDE}${CLAIM_LIB}
local e, h, fn, pool, json, maxSize, ttl, alone = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local nOther = tonumber(ARGV[14])
-- First: a read final of this session must not count as history below.
local reqAt = forget_read(15 + nOther)
local wk = P .. 'wait:' .. pool
local exact
if maxSize ~= '' then
  exact = 0
  for _, p in ipairs(redis.call('SMEMBERS', P .. 'pools')) do exact = exact + redis.call('ZCARD', P .. 'wait:' .. p) end
  if exact >= tonumber(maxSize) then return {0, exact} end
end
if ARGV[11] ~= '' and not redis.call('SET', P .. 'owner:' .. h, ARGV[11], 'PX', ARGV[12], 'NX') then
  return {-2, redis.call('GET', P .. 'owner:' .. h) or ''}
end
local pk = P .. 'ses:' .. h .. ':pending'
if redis.call('SADD', pk, e) == 0 then return {-1, 0} end
-- Another node has events of this session, holds it, or logged messages of it: the caller catches up.
local known = 0
if redis.call('SCARD', pk) > 1 or redis.call('XLEN', P .. 'ses:' .. h .. ':log') > 0 then known = 1 end
if ARGV[13] == '1' then redis.call('SADD', P .. 'pools', pool) end
local ahead = redis.call('ZCARD', wk)
local total
if exact then
  total = exact + 1
else
  total = ahead + 1
  for i = 15, 14 + nOther do total = total + redis.call('ZCARD', P .. 'wait:' .. ARGV[i]) end
end
local req = claim_request(reqAt)
local jk = P .. 'job:' .. e
if req ~= nil and ahead == 0 then
  -- Fast path: this event heads an idle pool. It runs here now if its pool has a free slot and no
  -- other pool the caller serves has an older head with a free slot.
  local mine, saw = false, 0
  for _, p in ipairs(req.pools) do
    if p[1] == pool then mine = slot_free(pool, p[2]) end
  end
  if mine then
    for _, p in ipairs(req.pools) do
      if p[1] ~= pool and redis.call('EXISTS', P .. 'wait:' .. p[1]) == 1 then
        saw = 1
        if slot_free(p[1], p[2]) then mine = false end
      end
    end
  end
  if mine then
    local now = now_ms()
    redis.call('HSET', jk, 'json', json, 'pool', pool, 'fn', fn, 'ses', h, 'origin', NODE, 'tries', 1,
      'lease', req.lease, 'node', NODE, 'start', now)
    redis.call('ZADD', P .. 'run:' .. pool, now + req.leaseMs, e .. '|' .. req.lease)
    return {1, 0, 1, total, {}, {pool, fn, json, NODE}, saw, known}
  end
end
local seq = redis.call('INCR', P .. 'seq')
redis.call('HSET', jk, 'json', json, 'pool', pool, 'fn', fn, 'seq', seq, 'ses', h, 'origin', NODE, 'tries', 0)
redis.call('ZADD', wk, seq, fn .. ':' .. e)
local running = {}
if ahead == 0 then running = running_of(pool, now_ms()) end
local claim = try_claim(req, alone)
if claim == nil then
  claim = false
  if alone ~= '1' then redis.call('PUBLISH', P .. 'wake', NODE .. ' j ' .. pool) end
end
return {1, ahead, ahead + 1, total, running, claim, 1, known}
`;

/**
 * claim: ARGV = P, node, alone, then a claim request (see CLAIM_LIB). Returns {claim, saw}: claim
 * false or {poolId, fnId, jobJson, origin, jobJson, origin...}; saw 1 when work may wait.
 */
export const CLAIM = `${PRELUDE}${CLAIM_LIB}
local claim, saw = try_claim(claim_request(4), ARGV[3])
return {claim or false, saw and 1 or 0}
`;

/**
 * release: ARGV = P, node, head, lease, poolId, sessionTtlMs, sessionMaxLen, alone, nEvents,
 * eventId..., nFinals, (eventId, sessionHash, mode, json)..., read finals to forget (see
 * forget_read), then a claim request for the next job (lease "" for none). A final's mode is "1"
 * or "0" for one this node delivered itself (the event's origin; "1": a reader here got it), or
 * ">" .. origin for one of an event this node ran for another origin.
 *
 * Frees the claim's slot and forgets its jobs (unless the lease was reaped meanwhile: then a final
 * also takes its event out of the queue, where the reaper may have put it back). Each final's event
 * leaves its session's pending set. A final delivered here goes to the log (and to the nodes that
 * adopted the session) when no reader here got it or another node holds the session; another
 * origin's final is logged and sent to that origin (with the count of the session's events still
 * pending) and to the adopters, as `publish` does, unless the event had ended already. Then claims
 * the next job for the caller.
 * Returns {1|0 (lease still held), {eventId, logId ("" not logged), adopted (1: another node holds
 * the session), remaining (events of the session still pending)...} (finals delivered here only),
 * claim|false, saw} (saw: see try_claim).
 */
export const RELEASE = `${PRELUDE}${CLAIM_LIB}
local head, lease, pool, ttl, maxlen, alone = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local held = redis.call('ZREM', P .. 'run:' .. pool, head .. '|' .. lease)
local i = 10
local n = tonumber(ARGV[9])
if held == 1 then
  for k = 0, n - 1 do redis.call('DEL', P .. 'job:' .. ARGV[i + k]) end
end
i = i + n
local logged = {}
local nf = tonumber(ARGV[i])
i = i + 1
for _ = 1, nf do
  local e, h, mode, json = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  local pk = P .. 'ses:' .. h .. ':pending'
  local jk = P .. 'job:' .. e
  if held == 0 then
    local f = redis.call('HMGET', jk, 'pool', 'fn', 'lease')
    if f[1] and not f[3] and redis.call('ZREM', P .. 'wait:' .. f[1], f[2] .. ':' .. e) == 1 then redis.call('DEL', jk) end
  end
  local ended = redis.call('SREM', pk, e) == 0
  -- The origin of an event run here for another node ("" : delivered here, by its origin).
  local origin = ''
  if string.byte(mode, 1) == 62 then origin = string.sub(mode, 2) end
  local remaining, adopted, id = 0, 0, ''
  local lone = redis.call('SCARD', pk) == 0
  if not lone then
    for _, m in ipairs(redis.call('SMEMBERS', pk)) do
      local n = adopter(m)
      if not n then remaining = remaining + 1 elseif n ~= NODE and n ~= origin then adopted = 1 end
    end
  end
  if origin == '' then
    if mode ~= '1' or adopted == 1 then id = deliver(h, NODE, json, ttl, maxlen, false, lone) end
    logged[#logged + 1] = e
    logged[#logged + 1] = id
    logged[#logged + 1] = adopted
    logged[#logged + 1] = remaining
  elseif not ended then
    if adopted == 1 then deliver(h, origin, json, ttl, maxlen, true)
    else deliver(h, origin, json, ttl, maxlen, true, true, remaining) end
  end
end
local req = claim_request(forget_read(i))
local freed = nil
if held == 1 then freed = pool end
local claim, saw = try_claim(req, alone, freed)
if claim == nil then
  claim = false
  -- Nobody here takes the freed slot: another node may, if work waits for it.
  if req == nil and alone ~= '1' and redis.call('EXISTS', P .. 'wait:' .. pool) == 1 then
    redis.call('PUBLISH', P .. 'wake', NODE .. ' r ' .. pool)
  end
end
return {held, logged, claim, saw and 1 or 0}
`;

/** remove: ARGV = P, node, eventId. Returns {jobJson, origin}, or false when not waiting. */
export const REMOVE = `${PRELUDE}
local byOrigin = {}
local json, h, origin = remove_waiting(ARGV[3], byOrigin, 'x')
tell_origins(byOrigin)
if not json then return false end
return {json, origin or ''}
`;

/** removeSession: ARGV = P, node, sessionHash. Returns the removed jobs' JSON in admission order. */
export const REMOVE_SESSION = `${PRELUDE}
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
export const CANCEL_EVENT = `${PRELUDE}
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
export const CANCEL_RUNNING_SESSION = `${PRELUDE}
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

/** rank: ARGV = P, node, eventId. Returns {rank, poolSize} or false. */
export const RANK = `${PRELUDE}
local f = redis.call('HMGET', P .. 'job:' .. ARGV[3], 'pool', 'fn', 'lease')
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
local now = now_ms()
return {now, redis.call('ZRANGE', P .. 'wait:' .. ARGV[3], 0, -1), running_of(ARGV[3], now)}
`;
