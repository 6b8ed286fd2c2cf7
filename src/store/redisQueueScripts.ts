/**
 * The Lua scripts of {@link RedisStore}'s queue: admission (which may claim for the caller in the
 * same step), claiming a slot and a batch, releasing (which may carry the claim's results and
 * claim the next job). The order they keep is docs/fair-queue.md's; docs/redis-protocol.md
 * describes every key and step. Removals and views are in redisViewScripts.ts.
 */
import { RELEASE_NEEDS_JSON } from "./LocalFinal.ts";
import { CLAIM_LIB } from "./redisClaimLib.ts";
import { LEVELS_LIB } from "./redisLevels.ts";
import { PRELUDE } from "./redisPrelude.ts";

/**
 * The helpers of admission and release, made once where the batch function holds them rather than
 * at every call inside its body: in Redis's Lua every closure, upvalue and table is an allocation
 * (with jemalloc's size accounting and the collector's work after it), and a body's local
 * functions were a closure and its upvalues per call.
 */
const STEPS_LIB = `
-- Level 0's lane records of an admission's pool, read once per admission (enq_lanes0): this key's
-- lane, "_x", its parked events, "_ml", "_L". The admission sets enq_lf to nil first.
local enq_lf
local function enq_lanes0(pool, ck)
  if enq_lf == nil then enq_lf = redis.call('HMGET', lanes_key(pool, '0'), 'k:' .. ck, '_x', 'n:' .. ck, '_ml', '_L') end
  return enq_lf
end
-- Every pool's waiting events (for maxSize): level 0's ring of the admission's pool held ahead.
local function enq_all_waiting(pool, ahead, ck)
  local n = 0
  for _, p in ipairs(redis.call('SMEMBERS', P .. 'pools')) do
    if p ~= pool then n = n + pool_size(p)
    elseif ahead > 0 then
      local lf = enq_lanes0(pool, ck)
      n = n + pool_size(p, ahead, lf[2] or 0, lf[5])
    end
  end
  return n
end
-- The total an admission reports: every pool's count when it took one (exact), else n and the
-- rings of the nOther other pools named in ARGV from 23.
local function enq_others_total(exact, nOther, n)
  if exact then return exact + 1 end
  for i = 23, 22 + nOther do n = n + redis.call('ZCARD', P .. 'wait:' .. ARGV[i]) end
  return n
end
-- A job's fields besides those every job has: its level (not 0) and its count for maxPerClient.
local function job_extras(jk, lvl, counted)
  if lvl ~= '0' and counted then redis.call('HSET', jk, 'lvl', lvl, 'cc', '1')
  elseif lvl ~= '0' then redis.call('HSET', jk, 'lvl', lvl)
  elseif counted then redis.call('HSET', jk, 'cc', '1') end
end
-- An empty table that is never written to: a reply's or a read's "nothing" without making one.
local EMPTY = {}
-- Event e leaves its session's pending set pk. Returns whether it had left already (ended) and
-- whether nothing else is pending (lone). SPOP of two members tells both in one command when e was
-- the only member (the usual case: the set is gone with it). Anything else popped goes back, and
-- the set gets sessionTtlMs: the pop may have emptied it, and its TTL with it (an adopted set, or
-- one a renewal kept alive, had one), so that a member nothing ends still goes in time.
local function leave_pending(pk, e, ttl)
  local got = redis.call('SPOP', pk, '2')
  if #got == 0 then return true, true end
  if #got == 1 and got[1] == e then return false, true end
  local ended, back = true, {}
  for _, m in ipairs(got) do
    if m == e then ended = false else back[#back + 1] = m end
  end
  redis.call('SADD', pk, unpack(back))
  redis.call('PEXPIRE', pk, ttl)
  if ended then ended = redis.call('SREM', pk, e) == 0 end
  return ended, false
end
`;

/** What every queue script starts with: the helpers, the fair order's, claiming, admission's and release's. */
export const QUEUE_LIB = `${PRELUDE}${LEVELS_LIB}${CLAIM_LIB}${STEPS_LIB}`;

/**
 * enqueue: ARGV = P, node, eventId, sessionHash, fnId, poolId, jobJson, maxSize ("" = none),
 * sessionTtlMs, alone ("1": no other node listens), owner ("" = none), ownerTtlMs, newPool ("1":
 * add it to `pools`), level, clientKey, admitted (wall-clock ms), fair ("1"), maxPerClient ("" =
 * none), priorityAgingMs, released (an event of the client key whose claim the caller released while
 * holding it, or ""), solo ("1": the caller holds the session alone for sure, see SoloSessions.ts),
 * nOther, otherPool..., read finals to forget (see forget_read), then a
 * claim request (see CLAIM_LIB; lease "" when the caller cannot run a job now). `owner`: the
 * session's owner record, written (SET NX) with the admission; a session that has one already is
 * not admitted: the caller judges the record in force and joins again without it.
 *
 * Returns {1, rank, poolSize, total, running, claim, saw, known, fast} | {0, total} (full) | {-3, total}
 * (the client key has maxPerClient events waiting or running) | {-1, 0} (an id already pending in
 * the session) | {-2, ownerInForce}; `known` 1 when the session has other pending events, an
 * adopter or messages in its log (the caller catches up with it). `running` is, for the pool's
 * head only, {fnId, ageMs, ...} of the pool's running jobs; `claim` is false or the claim made for
 * the caller; `saw` 1 when work may still wait in the request's pools (see try_claim). When the
 * pool is idle and the caller may run it, the event is claimed at once without entering the queue
 * (the fast path: rank 0, claim = this event, `fast` 1: it never entered the ring, so its key's
 * lane record still names the key's previous waiting event). Otherwise it enters its level: a
 * client key's first waiting event at the ring's end (with fairness off every event is a key of
 * its own), a later one parked behind it. `total` counts the other pools' rings only (no parked events, no levels).
 */
export const ENQUEUE = `${QUEUE_LIB}
local e, h, fn, pool, json, maxSize, ttl, alone = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local lvl, ck, at, fair, maxPer = ARGV[14], ARGV[15], ARGV[16], ARGV[17] == '1', ARGV[18]
local released, solo = ARGV[20], ARGV[21] == '1'
local nOther = tonumber(ARGV[22])
-- First: a read final of this session must not count as history below.
local reqAt = forget_read(23 + nOther)
local wk = ring_key(pool, '0')
-- Level 0's ring: empty when the whole pool is (another level's events leave a marker in it).
local ahead = redis.call('ZCARD', wk)
enq_lf = nil
local exact
if maxSize ~= '' then
  exact = enq_all_waiting(pool, ahead, ck)
  if exact >= tonumber(maxSize) then return {0, exact} end
end
local counted = maxPer ~= ''
if counted and redis.call('HINCRBY', P .. 'clients', ck, 1) > tonumber(maxPer) then
  left_client(ck, true)
  return {-3, exact or enq_all_waiting(pool, ahead, ck)}
end
-- A session whose owner this admission records is new to every node (each node's first join of a
-- session carries its owner, and a record lasts stateTtlMs): nothing of it is pending or logged.
local new_session = false
if ARGV[11] ~= '' then
  if not redis.call('SET', P .. 'owner:' .. h, ARGV[11], 'PX', ARGV[12], 'NX') then
    if counted then left_client(ck, true) end
    return {-2, redis.call('GET', P .. 'owner:' .. h) or ''}
  end
  new_session = true
end
local pk = P .. 'ses:' .. h .. ':pending'
if redis.call('SADD', pk, e) == 0 then
  if counted then left_client(ck, true) end
  return {-1, 0}
end
-- Another node has events of this session, holds it, or logged messages of it: the caller catches up.
-- A session the caller holds alone for sure need not ask; one it does not, the others hear of ("s"):
-- a node that held it solo no longer does.
local known = 0
if not new_session and not solo then
  if redis.call('SCARD', pk) > 1 or redis.call('XLEN', P .. 'ses:' .. h .. ':log') > 0 then known = 1 end
  if alone ~= '1' then redis.call('PUBLISH', P .. 'wake', NODE .. ' s ' .. h) end
end
if ARGV[13] == '1' then redis.call('SADD', P .. 'pools', pool) end
local req = claim_request(reqAt)
local jk = P .. 'job:' .. e
if req ~= nil and ahead == 0 then
  -- Fast path: this event heads an idle pool. It runs here now if its pool has a free slot and no
  -- other pool the caller serves has an older head with a free slot.
  local mine, saw = false, 0
  for _, p in ipairs(req.pools) do
    if p[1] == pool then mine = slot_free(p) end
  end
  if mine then
    for _, p in ipairs(req.pools) do
      if p[1] ~= pool and redis.call('EXISTS', P .. 'wait:' .. p[1]) == 1 then
        saw = 1
        if slot_free(p) then mine = false end
      end
    end
  end
  if mine then
    local now = req_now(req)
    redis.call('HSET', jk, 'json', json, 'pool', pool, 'fn', fn, 'ses', h, 'origin', NODE, 'tries', '1',
      'lease', req.lease, 'node', NODE, 'start', req_start(req, now), 'ck', ck, 'at', at)
    job_extras(jk, lvl, counted)
    redis.call('ZADD', P .. 'run:' .. pool, req_expiry(req, now), e .. '|' .. req.lease)
    return {1, 0, 1, enq_others_total(exact, nOther, 1), EMPTY, {pool, fn, json, NODE}, saw, known, 1}
  end
end
-- The position as a string once (Lua's number to string is slow; the member, the job and the ring use it).
local seq = tostring(redis.call('INCR', P .. 'seq'))
local m = member_of(fn, seq, at, e)
local rk, lk = ring_key(pool, lvl), lanes_key(pool, lvl)
-- nL: other levels with waiting events; nx: parked events of this level; laneHead: the head of
-- this client key's lane when it has one (fairness on: its record, alive while its head waits or
-- it has parked events), c its parked events, ml how many lanes have some.
local nL, nx, c, ml, laneHead = 0, 0, 0, 0, nil
if ahead > 0 then
  nL = tonumber(enq_lanes0(pool, ck)[5]) or 0
  local f = EMPTY
  if lvl == '0' then f = enq_lanes0(pool, ck)
  elseif fair then f = redis.call('HMGET', lk, 'k:' .. ck, '_x', 'n:' .. ck, '_ml') end
  nx = tonumber(f[2]) or 0
  if fair then
    c, ml = tonumber(f[3]) or 0, tonumber(f[4]) or 0
    -- A record whose head is the released event is an ended lane's: that event waits nowhere.
    if f[1] and (c > 0 or (event_of(f[1]) ~= released and redis.call('ZSCORE', rk, f[1]))) then laneHead = f[1] end
  end
end
redis.call('HSET', jk, 'json', json, 'pool', pool, 'fn', fn, 'seq', seq, 'ses', h, 'origin', NODE, 'tries', '0', 'm', m, 'ck', ck, 'at', at)
job_extras(jk, lvl, counted)
if laneHead then
  redis.call('ZADD', park_key(pool, lvl), 0, park_member(ck, m))
  if c > 0 then redis.call('HSET', lk, '_x', nx + 1, 'n:' .. ck, c + 1)
  else
    redis.call('HSET', lk, '_x', nx + 1, 'n:' .. ck, 1, '_ml', ml + 1)
    redis.call('HSET', P .. 'job:' .. event_of(laneHead), 'more', 1)
  end
else
  redis.call('ZADD', rk, seq, m)
  if fair then redis.call('HSET', lk, 'k:' .. ck, m) end
  if level_added(pool, lvl) then nL = nL + 1 end
end
local rank, size
if nL == 0 and (not laneHead or ml == 0 or (ml == 1 and c > 0)) then
  -- One level. A new lane: after every lane's head, before every parked event. A key's later
  -- event when no other lane has parked events: last.
  size = ahead + 1 + nx
  rank = ahead
  if laneHead then rank = size - 1 end
else
  local order = pool_walk(pool, tonumber(ARGV[19]), fair)
  size = #order
  rank = size - 1
  for i, x in ipairs(order) do
    if x == m then
      rank = i - 1
      break
    end
  end
end
local running = EMPTY
if rank == 0 then running = running_of(pool, req and req_now(req) or now_ms()) end
local claim = try_claim(req, alone)
if claim == nil then
  claim = false
  -- Others learn of work when the pool had none (whoever saw it empty stopped looking; whoever saw
  -- it waiting looks again at its next release) and of ranks when this event went ahead of some.
  if alone ~= '1' and (ahead == 0 or rank < size - 1) then redis.call('PUBLISH', P .. 'wake', NODE .. ' j ' .. pool) end
end
return {1, rank, size, enq_others_total(exact, nOther, size), running, claim, 1, known}
`;

/**
 * claim: ARGV = P, node, alone, then a claim request (see CLAIM_LIB). Returns {claim, saw}: claim
 * false or {poolId, fnId, jobJson, origin, jobJson, origin...}; saw 1 when work may wait.
 */
export const CLAIM = `${QUEUE_LIB}
local claim, saw = try_claim(claim_request(4), ARGV[3])
return {claim or false, saw and 1 or 0}
`;

/**
 * release: ARGV = P, node, head, lease, poolId, sessionTtlMs, sessionMaxLen, alone, nEvents,
 * eventId..., nKeys, clientKey... (of the claim's events counted for maxPerClient), nFinals,
 * (eventId, sessionHash, mode, json)..., read finals to forget (see forget_read), then a claim
 * request for the next job (lease "" for none). A final's mode is "1" or "0" for one this node
 * delivered itself (the event's origin; "1": a reader here got it), or ">" .. origin for one of
 * an event this node ran for another origin. A mode "1" final's json may be "": it is logged only
 * if another node adopted the session, and then its log id is RELEASE_NEEDS_JSON ("?") and the
 * caller publishes it.
 *
 * Frees the claim's slot and forgets its jobs, which leave their clients' counts (unless the
 * lease was reaped meanwhile: then a final also takes its event out of the queue, where the reaper
 * may have put it back). Each final's event leaves its session's pending set. A final delivered
 * here goes to the log (and to the nodes that adopted the session) when no reader here got it or
 * another node holds the session; another origin's final is logged and sent to that origin (with
 * the count of the session's events still pending) and to the adopters, this node among them when
 * it holds the session, as `publish` does, unless the event had ended already. Then claims the
 * next job for the caller.
 * Returns {1|0 (lease still held), {eventId, logId ("" not logged), adopted (1: another node holds
 * the session), remaining (events of the session still pending)...} (finals delivered here only),
 * claim|false, saw} (saw: see try_claim).
 */
export const RELEASE = `${QUEUE_LIB}
local head, lease, pool, ttl, maxlen, alone = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local held = redis.call('ZREM', P .. 'run:' .. pool, head .. '|' .. lease)
local i = 10
local n = tonumber(ARGV[9])
if held == 1 then
  for k = 0, n - 1 do redis.call('DEL', P .. 'job:' .. ARGV[i + k]) end
end
i = i + n
n = tonumber(ARGV[i])
if held == 1 then
  for k = 1, n do left_client(ARGV[i + k], false) end
end
i = i + n + 1
-- Made at the first final delivered here, with its four entries (a table grown from empty was
-- three more allocations).
local logged = EMPTY
local nf = tonumber(ARGV[i])
i = i + 1
for _ = 1, nf do
  local e, h, mode, json = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  i = i + 4
  local pk = P .. 'ses:' .. h .. ':pending'
  if held == 0 then drop_waiting(e, job_fields(e)) end
  local ended, lone = leave_pending(pk, e, ttl)
  -- The origin of an event run here for another node ("" : delivered here, by its origin).
  local origin = ''
  if string.byte(mode, 1) == 62 then origin = string.sub(mode, 2) end
  local remaining, adopted, id = 0, 0, ''
  if not lone then
    for _, m in ipairs(redis.call('SMEMBERS', pk)) do
      local a = adopter(m)
      -- Another node that holds the session: for a final run here for another origin, this node
      -- too (its reader gets nothing of that final but through the log and its channel).
      if not a then remaining = remaining + 1 elseif a ~= origin and (a ~= NODE or origin ~= '') then adopted = 1 end
    end
  end
  if origin == '' then
    if mode ~= '1' or adopted == 1 then
      -- A final a reader here got may come without its JSON ("", mode "1"): the caller publishes it.
      if json ~= '' then id = deliver(h, NODE, json, ttl, maxlen, false, lone)
      elseif not ended then id = '${RELEASE_NEEDS_JSON}' end
    end
    if logged == EMPTY then logged = {e, id, adopted, remaining}
    else
      logged[#logged + 1] = e
      logged[#logged + 1] = id
      logged[#logged + 1] = adopted
      logged[#logged + 1] = remaining
    end
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
