/**
 * Claiming, the Lua shared by the scripts of {@link RedisStore} that may claim for the calling node
 * (claim, enqueue, release); included after PRELUDE and LEVELS_LIB.
 *
 * A claim request is an ARGV tail at index `at`: lease ("" = do not claim), leaseMs, now (Redis'
 * time as the caller estimates it, ms; "": ask Redis), expiry (now + leaseMs, "" with now),
 * priorityAgingMs, fair ("1": fairness on), quiet ("1": send no "S" to other origins, the caller
 * tells those whose jobs outlive the claim's turn itself; see QuietStarts.ts), nPools,
 * (pool, limit|"")..., nFns, (fnId, batchSize).... It is the last thing in ARGV.
 * `try_claim` takes the next event (docs/fair-queue.md) among pools with a free slot, and its
 * batch, marks its jobs claimed and returns {poolId, fnId, json, origin, json, origin...}, or nil,
 * and, when `alone` is "0", wakes the other nodes: ranks moved ("1": no other node listens; "q":
 * this node tells them later, see ClaimWakes.ts). Its second result says
 * whether work may wait in the request's pools (see RedisStore#took).
 */
export const CLAIM_LIB = `
-- The last claim request parsed, and the ARGV strings of its tail after the lease: the calls of
-- a batch ask for the same pools and functions, and parsing them for each call was a tenth of a
-- release's Lua. The request is the same table, its lease and time set for each call (the batch
-- function keeps it from one FCALL to the next, where the same comparison decides).
local req_tail, req_last = {}, nil
local function claim_request(at)
  local lease = ARGV[at]
  if lease == nil or lease == '' then return nil end
  local n = #ARGV - at
  local req = req_last
  if req ~= nil and #req_tail == n and ARGV[at + 1] == req_tail[1] then
    for k = 4, n do
      if ARGV[at + k] ~= req_tail[k] then
        req = nil
        break
      end
    end
  else
    req = nil
  end
  if req == nil then
    req = {leaseMs = tonumber(ARGV[at + 1]), aging = tonumber(ARGV[at + 4]), fair = ARGV[at + 5] == '1', quiet = ARGV[at + 6] == '1', pools = {}, batch = {}, batching = false}
    local np = tonumber(ARGV[at + 7])
    local i = at + 8
    for _ = 1, np do
      -- The limit as written ("": none) and as a number, made once per parsed request.
      req.pools[#req.pools + 1] = {ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 1])}
      i = i + 2
    end
    local nf = tonumber(ARGV[i])
    for k = 1, nf do
      local size = tonumber(ARGV[i + 2 * k])
      req.batch[ARGV[i + 2 * k - 1]] = size
      if size > 1 then req.batching = true end
    end
    req_tail = {}
    for k = 1, n do req_tail[k] = ARGV[at + k] end
    req_last = req
  end
  req.lease = lease
  -- The time as the caller sent it (a string, written as it came: Lua's number to string is slow;
  -- as a number only when some arithmetic needs it, see req_now).
  local now = ARGV[at + 2]
  if now == '' then req.now, req.nowS, req.expiry = nil, nil, nil
  else req.now, req.nowS, req.expiry = nil, now, ARGV[at + 3] end
  return req
end
-- Running claims per pool, as counted in this script (an admission that found its pool full need
-- not count it again for its claim); a claim made here adds its own.
local running_n = {}
-- A claim's time (its start, and its lease's expiry from it): the caller's estimate of Redis' clock
-- when it gave one (no TIME command), else Redis'.
local function req_now(req)
  if req.nowS == nil then return now_ms() end
  local now = req.now
  if now == nil then
    now = tonumber(req.nowS)
    req.now = now
  end
  return now
end
-- A claim's start and lease expiry as written: the caller's strings when it sent its time.
local function req_start(req, now) return req.nowS or now end
local function req_expiry(req, now) return req.expiry or (now + req.leaseMs) end
-- Tries as written for the usual counts (a number would go through Lua's slow formatting).
local TRIES = {'1', '2', '3', '4', '5'}
-- p: a request's pool, {pool, limit as written ("": none), limit}.
local function slot_free(p)
  if p[2] == '' then return true end
  local pool = p[1]
  local n = running_n[pool]
  if n == nil then
    n = redis.call('ZCARD', P .. 'run:' .. pool)
    running_n[pool] = n
  end
  return n < p[3]
end
-- A pool's next event: {m, pos (ring position), lvl, second (the next head of its level, if any),
-- multi (the pool has several levels)}, and its entry when levels were compared; nil when none.
-- One level (the usual pool): one read, the first two members of level 0's ring.
local function pool_head(pool, aging)
  local rk0 = ring_key(pool, '0')
  local top = redis.call('ZRANGE', rk0, 0, 1, 'WITHSCORES')
  if not top[1] then return nil end
  if string.byte(top[1], 1) ~= 35 then return {m = top[1], pos = top[2], lvl = '0', second = top[3]} end
  local best, bestE
  local function consider(lvl, r)
    if not r[1] then return end
    local en = entry(r[1], lvl, aging)
    if best == nil or before(en, bestE) then
      best, bestE = {m = r[1], pos = r[2], lvl = lvl, second = r[3], multi = true}, en
    end
  end
  consider('0', redis.call('ZRANGEBYSCORE', rk0, '(-inf', '+inf', 'WITHSCORES', 'LIMIT', 0, 2))
  for _, mk in ipairs(redis.call('ZRANGEBYSCORE', rk0, '-inf', '-inf')) do
    local L = string.sub(mk, 2)
    consider(L, redis.call('ZRANGE', ring_key(pool, L), 0, 1, 'WITHSCORES'))
  end
  return best, bestE
end
-- The events of a batch: the head, then the following waiting events of its function in its
-- level's order (the other lanes' heads, then parked events, round by round). Each item: {m, pos,
-- round (0: a lane head, k: a key's k+1-th event), ck (parked ones)}.
local function batch_of(req, pool, head, fn, size)
  local items = {{m = head.m, pos = head.pos, round = 0}}
  if size <= 1 then return items end
  local rk, pre = ring_key(pool, head.lvl), fn .. ':'
  local from = 1
  while #items < size do
    local chunk = redis.call('ZRANGEBYSCORE', rk, '(-inf', '+inf', 'WITHSCORES', 'LIMIT', from, 100)
    for i = 1, #chunk, 2 do
      if string.sub(chunk[i], 1, #pre) == pre then
        items[#items + 1] = {m = chunk[i], pos = chunk[i + 1], round = 0}
        if #items >= size then return items end
      end
    end
    if #chunk < 200 then break end
    from = from + 100
  end
  if not req.fair or redis.call('EXISTS', park_key(pool, head.lvl)) == 0 then return items end
  local walk, nHeads, meta = level_walk(pool, head.lvl, nil, true)
  for i = nHeads + 1, #walk do
    if string.sub(walk[i], 1, #pre) == pre then
      items[#items + 1] = {m = walk[i], pos = head.pos, round = meta[i].round, ck = meta[i].ck}
      if #items >= size then break end
    end
  end
  return items
end
-- After a claim took lane events: a lane whose first event was taken moves to the ring's end, its
-- next event heading it (in the order the lanes were last served), or leaves the ring.
local function relane(pool, lvl, lanes, parkedTaken)
  if parkedTaken > 0 then redis.call('HINCRBY', lanes_key(pool, lvl), '_x', -parkedTaken) end
  local served = {}
  for _, l in ipairs(lanes) do
    if l.parked > 0 then
      if not l.served then lane_unparked(pool, lvl, l.ck, l.parked)
      elseif redis.call('HINCRBY', lanes_key(pool, lvl), 'n:' .. l.ck, -l.parked) <= 0 then
        redis.call('HINCRBY', lanes_key(pool, lvl), '_ml', -1)
      end
    end
    if l.served then served[#served + 1] = l end
  end
  if #served == 0 then return false end
  table.sort(served, function(a, b) return a.served < b.served end)
  local top = redis.call('INCRBY', P .. 'seq', #served)
  local moved = false
  for i, l in ipairs(served) do
    if promote(pool, lvl, l.ck, top - #served + i) then moved = true end
  end
  return moved
end
-- Marks the events claimed by this node under req.lease; returns the claim's reply and whether
-- a lane moved (its next event entered the ring).
local function take(req, pool, head, fn, items, now)
  local out = {pool, fn}
  -- Made when first needed: a claim of one event of this node's, its lane done, needs none of them.
  local byOrigin, lanes, byKey, parkedTaken = nil, nil, nil, 0
  local ids = {}
  for k, it in ipairs(items) do ids[k] = event_of(it.m) end
  local start = req_start(req, now)
  for k, it in ipairs(items) do
    local jk = P .. 'job:' .. ids[k]
    local f = redis.call('HMGET', jk, 'json', 'origin', 'tries', 'more', 'ck')
    if it.round > 0 then
      redis.call('ZREM', park_key(pool, head.lvl), park_member(it.ck, it.m))
      parkedTaken = parkedTaken + 1
    elseif not (k == 1 and head.popped) then
      redis.call('ZREM', ring_key(pool, head.lvl), it.m)
    end
    if it.round > 0 or f[4] then
      local ck = it.ck or f[5]
      if byKey == nil then byKey, lanes = {}, {} end
      local l = byKey[ck]
      if l == nil then
        l = {ck = ck, front = 0, parked = 0}
        byKey[ck] = l
        lanes[#lanes + 1] = l
      end
      if it.round == l.front then
        l.front = l.front + 1
        l.served = k
      end
      if it.round > 0 then l.parked = l.parked + 1 end
    end
    local tries = (tonumber(f[3]) or 0) + 1
    tries = TRIES[tries] or tries
    if k == 1 and #items > 1 then
      redis.call('HSET', jk, 'lease', req.lease, 'node', NODE, 'start', start, 'tries', tries, 'pos', it.pos, 'batch', cjson.encode(ids))
    else
      redis.call('HSET', jk, 'lease', req.lease, 'node', NODE, 'start', start, 'tries', tries, 'pos', it.pos)
    end
    out[#out + 1] = f[1]
    out[#out + 1] = f[2] or ''
    -- Other origins hear that their events started (this node knows of its own), unless the
    -- caller tells them itself (quiet).
    if f[2] and f[2] ~= NODE and not req.quiet then
      if byOrigin == nil then byOrigin = {} end
      add_origin(byOrigin, f[2], ids[k])
    end
  end
  redis.call('ZADD', P .. 'run:' .. pool, req_expiry(req, now), ids[1] .. '|' .. req.lease)
  if running_n[pool] then running_n[pool] = running_n[pool] + 1 end
  if byOrigin ~= nil then tell_origins(byOrigin, 'S') end
  local moved = lanes ~= nil and relane(pool, head.lvl, lanes, parkedTaken)
  return out, moved
end
-- take() for one event popped off level 0's ring whose lane has nothing parked (its job has no
-- "more"), the usual claim: the same writes and reply, without take's tables. Returns nil, having
-- changed nothing, for an event whose lane has parked events: take() serves it.
local function take_popped(req, pool, m, pos, fn)
  local e = event_of(m)
  local jk = P .. 'job:' .. e
  local f = redis.call('HMGET', jk, 'json', 'origin', 'tries', 'more')
  if f[4] then return nil end
  local tries = (tonumber(f[3]) or 0) + 1
  -- The caller's time as it sent it, if it did (no number made of it: req_now would make one).
  local now = req.nowS == nil and now_ms() or nil
  redis.call('HSET', jk, 'lease', req.lease, 'node', NODE, 'start', req_start(req, now), 'tries', TRIES[tries] or tries, 'pos', pos)
  redis.call('ZADD', P .. 'run:' .. pool, req_expiry(req, now), e .. '|' .. req.lease)
  if running_n[pool] then running_n[pool] = running_n[pool] + 1 end
  -- Another origin hears that its event started (this node knows of its own), unless the caller
  -- tells it itself (quiet).
  if f[2] and f[2] ~= NODE and not req.quiet then tell_origins({[f[2]] = {e}}, 'S') end
  return {pool, fn, f[1], f[2] or ''}
end
-- One pool asked for and no batching function: the head is taken off level 0's ring at once
-- (ZPOPMIN: one command, not a look and a removal). A marker there (other levels) goes back, and
-- the levels are compared as usual.
local function pop_head(req, alone, freed)
  local p = req.pools[1]
  if p[1] ~= freed and not slot_free(p) then return nil, true end
  local rk0 = ring_key(p[1], '0')
  local top = redis.call('ZPOPMIN', rk0)
  if not top[1] then return nil, false end
  local best
  if string.byte(top[1], 1) ~= 35 then
    local m = top[1]
    local out = take_popped(req, p[1], m, top[2], string.sub(m, 1, string.find(m, ':', 1, true) - 1))
    if out then
      if alone == '0' then redis.call('PUBLISH', P .. 'wake', NODE .. ' c ' .. p[1]) end
      return out, true
    end
    best = {m = m, pos = top[2], lvl = '0', popped = true}
  else
    redis.call('ZADD', rk0, '-inf', top[1])
    best = pool_head(p[1], req.aging)
    if best == nil then return nil, false end
  end
  local fn = string.sub(best.m, 1, string.find(best.m, ':', 1, true) - 1)
  -- One event, no batch: the head is the claim's only item (batch_of would copy it).
  best.round = 0
  local out, moved = take(req, p[1], best, fn, {best}, req_now(req))
  if not moved and best.lvl ~= '0' and best.second == nil then level_emptied(p[1], best.lvl) end
  if alone == '0' then redis.call('PUBLISH', P .. 'wake', NODE .. ' c ' .. p[1]) end
  return out, true
end
local function try_claim(req, alone, freed)
  if req == nil then return nil, true end
  if #req.pools == 1 and not req.batching then return pop_head(req, alone, freed) end
  -- saw: some pool of the request has work waiting, or is full (its work may wait for a slot).
  -- freed: a pool whose slot the script just freed (no need to count its running jobs).
  local best, bestE, bestPool
  local saw = false
  for _, p in ipairs(req.pools) do
    if p[1] == freed or slot_free(p) then
      local h, en = pool_head(p[1], req.aging)
      if h then
        saw = true
        if best == nil then
          best, bestE, bestPool = h, en, p[1]
        else
          en = en or entry(h.m, h.lvl, req.aging)
          bestE = bestE or entry(best.m, best.lvl, req.aging)
          if before(en, bestE) then best, bestE, bestPool = h, en, p[1] end
        end
      end
    else
      saw = true
    end
  end
  if best == nil then return nil, saw end
  local fn = string.match(best.m, '^(%-?%d+):')
  local items = batch_of(req, bestPool, best, fn, req.batch[fn] or 1)
  local out, moved = take(req, bestPool, best, fn, items, req_now(req))
  -- A level besides 0 that emptied: its marker and keys go. (Level 0's lane records of ended
  -- lanes stay for the reaper to tidy: looking would cost a command per claim.)
  if not moved and best.lvl ~= '0' then
    if #items == 1 then
      if best.second == nil then level_emptied(bestPool, best.lvl) end
    elseif redis.call('EXISTS', ring_key(bestPool, best.lvl)) == 0 then
      level_emptied(bestPool, best.lvl)
    end
  end
  if alone == '0' then redis.call('PUBLISH', P .. 'wake', NODE .. ' c ' .. bestPool) end
  return out, true
end
`;
