/**
 * The Lua helpers of {@link RedisStore}'s fair order (docs/fair-queue.md; keys in
 * docs/redis-protocol.md, "Fair order"): priority levels, the ring of client-key lanes within a
 * level, parked events (a key's second and later waiting events), walks in claim order, removals,
 * per-client counts. Included after PRELUDE by every script that touches waiting events.
 *
 * A level's ring is a sorted set of lane heads (one waiting event per client key) scored by ring
 * position, a number from `seq`: a key's first event enters at its own admission number (the
 * ring's end), a served lane's next event at a fresh one. So the head of the ring is what a claim
 * takes, and ZRANK is the rank while no key has a second event waiting (one-shot visitors; every
 * event with fairness off, where each event is its own lane). Level 0 keeps the plain names
 * (`wait:<pool>`); its ring also holds a marker `#<level>` at -inf for each other level with
 * waiting events, so that a claim's look at the head sees them.
 */
export const LEVELS_LIB = `
local function lsfx(lvl)
  if lvl == nil or lvl == '' or lvl == '0' then return '' end
  return '@' .. lvl
end
local function ring_key(pool, lvl) return P .. 'wait' .. lsfx(lvl) .. ':' .. pool end
local function park_key(pool, lvl) return P .. 'park' .. lsfx(lvl) .. ':' .. pool end
local function lanes_key(pool, lvl) return P .. 'lanes' .. lsfx(lvl) .. ':' .. pool end
-- A ring position in 15 digits (string.format, and Lua's number to string, are slow: the hot path
-- passes the digits as a string).
local ZEROS = '000000000000000'
local function pad(n)
  if type(n) ~= 'string' then return string.format('%015d', n) end
  return string.sub(ZEROS, #n + 1) .. n
end
-- A waiting event's member: "<fnId>:<seq, 15 digits>:<admitted (ms)>:<eventId>".
local function member_of(fn, seq, at, e) return fn .. ':' .. pad(seq) .. ':' .. at .. ':' .. e end
local function parse(m)
  local a = string.find(m, ':', 1, true)
  local c = string.find(m, ':', a + 17, true)
  return string.sub(m, 1, a - 1), tonumber(string.sub(m, a + 1, a + 15)), tonumber(string.sub(m, a + 17, c - 1)), string.sub(m, c + 1)
end
local function event_of(m)
  local a = string.find(m, ':', 1, true)
  return string.sub(m, string.find(m, ':', a + 17, true) + 1)
end
-- A parked event's member: "<#key>:<key><seq, 15 digits><member>": a lane's events in order, by prefix.
local function lane_prefix(ck) return #ck .. ':' .. ck end
-- HMGET of many fields (unpack has a stack limit).
local function hmget_many(key, fields)
  local out = {}
  for from = 1, #fields, 500 do
    local got = redis.call('HMGET', key, unpack(fields, from, math.min(from + 499, #fields)))
    for i = 1, #got do out[from + i - 1] = got[i] end
  end
  return out
end
local function park_member(ck, m)
  local a = string.find(m, ':', 1, true)
  return lane_prefix(ck) .. string.sub(m, a + 1, a + 15) .. m
end
local function parse_park(pm)
  local c = string.find(pm, ':', 1, true)
  local n = tonumber(string.sub(pm, 1, c - 1))
  return string.sub(pm, c + 1, c + n), string.sub(pm, c + n + 16)
end
local function lane_parked(pool, lvl, ck, n)
  local pre = lane_prefix(ck)
  return redis.call('ZRANGEBYLEX', park_key(pool, lvl), '[' .. pre, '(' .. pre .. '\\255', 'LIMIT', 0, n)
end
-- Across levels and pools: {aged, prio, seq} of a member. Same priority: admission order (exact
-- across processes, whose clocks may differ by a few ms); else the smaller aged admission, then
-- the higher priority.
local function entry(m, lvl, aging)
  local _, seq, at = parse(m)
  local p = tonumber(lvl)
  return {aged = at - p * aging, prio = p, seq = seq}
end
local function before(a, b)
  if a.prio == b.prio then return a.seq < b.seq end
  if a.aged ~= b.aged then return a.aged < b.aged end
  return a.prio > b.prio
end
-- A level with waiting events besides 0: its marker in level 0's ring, counted in lanes0's "_L".
local function level_added(pool, lvl)
  if lvl ~= '0' and redis.call('ZADD', ring_key(pool, '0'), 'NX', '-inf', '#' .. lvl) == 1 then
    redis.call('HINCRBY', lanes_key(pool, '0'), '_L', 1)
    return true
  end
  return false
end
-- A level's ring is empty (so is its park): its keys go (level 0's only when no marker is left).
local function level_emptied(pool, lvl)
  local rk0 = ring_key(pool, '0')
  if lvl ~= '0' then
    redis.call('DEL', lanes_key(pool, lvl))
    redis.call('ZREM', rk0, '#' .. lvl)
    if redis.call('EXISTS', rk0) == 1 then
      redis.call('HINCRBY', lanes_key(pool, '0'), '_L', -1)
      return
    end
  elseif redis.call('EXISTS', rk0) == 1 then
    return
  end
  redis.call('DEL', lanes_key(pool, '0'))
end
-- The lane's first parked event becomes its head at ring position pos. Returns its member, or nil.
local function promote(pool, lvl, ck, pos)
  local two = lane_parked(pool, lvl, ck, 2)
  if not two[1] then return nil end
  local _, m = parse_park(two[1])
  local lk = lanes_key(pool, lvl)
  redis.call('ZREM', park_key(pool, lvl), two[1])
  redis.call('ZADD', ring_key(pool, lvl), pos, m)
  local f = redis.call('HMGET', lk, '_x', 'n:' .. ck, '_ml')
  local n = (tonumber(f[2]) or 1) - 1
  if n > 0 then
    redis.call('HSET', lk, 'k:' .. ck, m, '_x', (tonumber(f[1]) or 1) - 1, 'n:' .. ck, n)
    redis.call('HSET', P .. 'job:' .. event_of(m), 'more', 1)
  else
    redis.call('HSET', lk, 'k:' .. ck, m, '_x', (tonumber(f[1]) or 1) - 1, 'n:' .. ck, 0, '_ml', (tonumber(f[3]) or 1) - 1)
  end
  return m
end
-- Parked events of a lane left (n of them, claimed or removed): the lane's count drops, and its
-- head has nothing more once none is left.
local function lane_unparked(pool, lvl, ck, n)
  local lk = lanes_key(pool, lvl)
  if redis.call('HINCRBY', lk, 'n:' .. ck, -n) > 0 then return end
  redis.call('HINCRBY', lk, '_ml', -1)
  local h = redis.call('HGET', lk, 'k:' .. ck)
  if h then redis.call('HDEL', P .. 'job:' .. event_of(h), 'more') end
end
-- Takes a waiting event out of its level for good (a removal: its lane keeps its place in the
-- ring, its next event heading it). True when it was waiting.
local function unwait(pool, lvl, m, ck, more)
  local rk = ring_key(pool, lvl)
  local pos = redis.call('ZSCORE', rk, m)
  if pos then
    redis.call('ZREM', rk, m)
    if more and ck and promote(pool, lvl, ck, pos) then return true end
    if ck then
      local lk = lanes_key(pool, lvl)
      if redis.call('HGET', lk, 'k:' .. ck) == m then redis.call('HDEL', lk, 'k:' .. ck) end
    end
    if lvl == '0' or redis.call('EXISTS', rk) == 0 then level_emptied(pool, lvl) end
    return true
  end
  if not ck or redis.call('ZREM', park_key(pool, lvl), park_member(ck, m)) == 0 then return false end
  redis.call('HINCRBY', lanes_key(pool, lvl), '_x', -1)
  lane_unparked(pool, lvl, ck, 1)
  return true
end
-- Per-client counts (maxPerClient): an event that leaves. A count at 0 is deleted here when tidy,
-- else by the reaper (a release spares the command).
local function left_client(ck, tidy)
  if not ck then return end
  if redis.call('HINCRBY', P .. 'clients', ck, -1) <= 0 and tidy then redis.call('HDEL', P .. 'clients', ck) end
end
-- A level's waiting events in the order claims take them: every lane's head in ring order, then
-- every lane's second event (in ring order), and so on. heads: the ring, when the caller read it
-- (level 0's without markers); parked: read them (fairness on). Returns the members, how many of
-- them are heads, and for each parked one {ck, round} (round k: its key's k+1-th event).
local function level_walk(pool, lvl, heads, parked)
  if heads == nil then heads = redis.call('ZRANGEBYSCORE', ring_key(pool, lvl), '(-inf', '+inf') end
  local park = {}
  if parked then park = redis.call('ZRANGE', park_key(pool, lvl), 0, -1) end
  if #park == 0 then return heads, #heads, {} end
  local groups, keys = {}, {}
  for _, pm in ipairs(park) do
    local ck, m = parse_park(pm)
    local g = groups[ck]
    if g == nil then
      g = {ck = ck}
      groups[ck] = g
      keys[#keys + 1] = 'k:' .. ck
    end
    g[#g + 1] = m
  end
  local byHead = {}
  local hs = hmget_many(lanes_key(pool, lvl), keys)
  for i, k in ipairs(keys) do
    if hs[i] then byHead[hs[i]] = groups[string.sub(k, 3)] end
  end
  local out, meta, rounds = {}, {}, {}
  for _, h in ipairs(heads) do
    out[#out + 1] = h
    if byHead[h] then rounds[#rounds + 1] = byHead[h] end
  end
  local k = 1
  while #rounds > 0 do
    local kept = {}
    for _, g in ipairs(rounds) do
      out[#out + 1] = g[k]
      meta[#out] = {ck = g.ck, round = k}
      if g[k + 1] then kept[#kept + 1] = g end
    end
    rounds = kept
    k = k + 1
  end
  return out, #heads, meta
end
-- A pool's waiting events in claim order: the levels' walks merged by their heads (see before).
-- Returns the members and their levels.
local function pool_walk(pool, aging, parked)
  local heads0, levels = {}, {}
  for _, m in ipairs(redis.call('ZRANGE', ring_key(pool, '0'), 0, -1)) do
    if string.byte(m, 1) == 35 then levels[#levels + 1] = string.sub(m, 2) else heads0[#heads0 + 1] = m end
  end
  local w0 = level_walk(pool, '0', heads0, parked)
  if #levels == 0 then
    local lv = {}
    for i = 1, #w0 do lv[i] = '0' end
    return w0, lv
  end
  local seqs = {}
  if #w0 > 0 then seqs[1] = {lvl = '0', list = w0, at = 1} end
  for _, L in ipairs(levels) do seqs[#seqs + 1] = {lvl = L, list = (level_walk(pool, L, nil, parked)), at = 1} end
  local out, lv = {}, {}
  while true do
    local best, bestE
    for _, s in ipairs(seqs) do
      local m = s.list[s.at]
      if m then
        local en = entry(m, s.lvl, aging)
        if best == nil or before(en, bestE) then best, bestE = s, en end
      end
    end
    if best == nil then return out, lv end
    out[#out + 1] = best.list[best.at]
    lv[#lv + 1] = best.lvl
    best.at = best.at + 1
  end
end
-- Waiting events of a pool, every level. n, x, nL: level 0's ring size and its lanes' "_x" and
-- "_L", when the caller read them.
local function pool_size(pool, n, x, nL)
  local rk0 = ring_key(pool, '0')
  n = n or redis.call('ZCARD', rk0)
  if n == 0 then return 0 end
  if x == nil then
    local f = redis.call('HMGET', lanes_key(pool, '0'), '_x', '_L')
    x, nL = f[1], f[2]
  end
  nL = tonumber(nL) or 0
  n = n - nL + (tonumber(x) or 0)
  if nL == 0 then return n end
  for _, mk in ipairs(redis.call('ZRANGEBYSCORE', rk0, '-inf', '-inf')) do
    local L = string.sub(mk, 2)
    n = n + redis.call('ZCARD', ring_key(pool, L)) + (tonumber(redis.call('HGET', lanes_key(pool, L), '_x')) or 0)
  end
  return n
end
-- Every waiting event of a pool, in no particular order (for scans).
local function pool_events(pool)
  local out = {}
  local levels = {'0'}
  for _, m in ipairs(redis.call('ZRANGE', ring_key(pool, '0'), 0, -1)) do
    if string.byte(m, 1) == 35 then levels[#levels + 1] = string.sub(m, 2) else out[#out + 1] = event_of(m) end
  end
  for i, L in ipairs(levels) do
    if i > 1 then for _, m in ipairs(redis.call('ZRANGE', ring_key(pool, L), 0, -1)) do out[#out + 1] = event_of(m) end end
    for _, pm in ipairs(redis.call('ZRANGE', park_key(pool, L), 0, -1)) do
      local _, m = parse_park(pm)
      out[#out + 1] = event_of(m)
    end
  end
  return out, levels
end
-- A job's fields that say where it waits (or that it runs: lease).
local function job_fields(e)
  local v = redis.call('HMGET', P .. 'job:' .. e, 'json', 'pool', 'lvl', 'm', 'ck', 'more', 'ses', 'origin', 'lease', 'cc')
  return {json = v[1], pool = v[2], lvl = v[3] or '0', m = v[4], ck = v[5], more = v[6], ses = v[7], origin = v[8], lease = v[9], cc = v[10]}
end
-- Takes a waiting event out for good (job_fields f): its job goes, its client's count drops.
-- False when it is not waiting.
local function drop_waiting(e, f)
  if not f.json or f.lease or not f.m then return false end
  if not unwait(f.pool, f.lvl, f.m, f.ck, f.more) then return false end
  redis.call('DEL', P .. 'job:' .. e)
  if f.cc then left_client(f.ck, true) end
  return true
end
-- Removes a waiting event for good (not its pending entry); returns its job JSON, its session and
-- origin, or false when it is not waiting.
local function remove_waiting(e, byOrigin, wakeKind)
  local f = job_fields(e)
  if not drop_waiting(e, f) then return false end
  if byOrigin then add_origin(byOrigin, f.origin, e) end
  if wakeKind then redis.call('PUBLISH', P .. 'wake', NODE .. ' ' .. wakeKind .. ' ' .. f.pool) end
  return f.json, f.ses, f.origin
end
-- Puts a claimed event back into its level at its place: its ring position when claimed (an event
-- claimed at its admission, the fast path, has none: it was admitted before everything waiting),
-- as a lane of its own. Returns its member.
local function requeue(e, pool, fn, lvl, m, pos, at, start)
  lvl = lvl or '0'
  if not m then m = member_of(fn, 0, at or '0', e) end
  pos = tonumber(pos) or ((tonumber(start) or 0) - 1e13)
  redis.call('ZADD', ring_key(pool, lvl), pos, m)
  level_added(pool, lvl)
  return m
end
-- The reaper's tidying: lane records whose lane ended (claims leave them), parked counts at 0
-- (and "_ml", how many lanes have parked events, recounted).
local function tidy_lanes(pool, levels)
  for _, L in ipairs(levels) do
    local lk, rk = lanes_key(pool, L), ring_key(pool, L)
    local names, heads, drop = {}, {}, {}
    local ml = 0
    local all = redis.call('HGETALL', lk)
    local recorded = nil
    for i = 1, #all, 2 do
      local kind = string.sub(all[i], 1, 2)
      if kind == 'k:' then
        names[#names + 1] = all[i]
        heads[#heads + 1] = all[i + 1]
      elseif kind == 'n:' then
        local n = tonumber(all[i + 1]) or 0
        if n <= 0 then drop[#drop + 1] = all[i] else ml = ml + 1 end
      elseif all[i] == '_ml' then
        recorded = tonumber(all[i + 1])
      end
    end
    for from = 1, #names, 500 do
      local to = math.min(from + 499, #names)
      local scores = redis.call('ZMSCORE', rk, unpack(heads, from, to))
      for i = from, to do
        if not scores[i - from + 1] then drop[#drop + 1] = names[i] end
      end
    end
    for from = 1, #drop, 500 do redis.call('HDEL', lk, unpack(drop, from, math.min(from + 499, #drop))) end
    if recorded ~= nil and recorded ~= ml then redis.call('HSET', lk, '_ml', ml) end
  end
end
`;
