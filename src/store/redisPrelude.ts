/**
 * The helpers every Lua script of {@link RedisStore} starts with (see docs/redis-protocol.md for the
 * keys, and redisScripts.ts for the scripts' conventions).
 */
export const PRELUDE = `
local P = ARGV[1]
local NODE = ARGV[2]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- A session's pending set holds its pending events and "@<node>" for each node that adopted it.
local function adopter(m)
  if string.byte(m, 1) == 64 then return string.sub(m, 2) end
  return nil
end
-- ARGV from index at: n, then n (sessionHash, logId) pairs: logged finals a reader of the caller read,
-- which leave their logs. Returns the index after them.
local function forget_read(at)
  local n = tonumber(ARGV[at])
  for k = 1, n do redis.call('XDEL', P .. 'ses:' .. ARGV[at + 2 * k - 1] .. ':log', ARGV[at + 2 * k]) end
  return at + 1 + 2 * n
end
-- "<head>|<lease>": a running claim's member of run:<pool>.
local function split_claim(m)
  local at = string.find(m, '|', 1, true)
  return string.sub(m, 1, at - 1), string.sub(m, at + 1)
end
-- Puts an event back into its pool at its admission place. An event claimed at its admission
-- (the fast path) has no seq: it was admitted before everything now waiting in its pool.
local function requeue(e, pool, fn, seq, start)
  local score = tonumber(seq)
  if not score then score = (tonumber(start) or 0) - 1e13 end
  redis.call('ZADD', P .. 'wait:' .. pool, score, fn .. ':' .. e)
end
-- Appends a message to a session's log and sends it to the event's origin node (unless toOrigin
-- is false: the origin delivered it itself) and to every other node that adopted the session (its
-- pending set's "@<node>" members; noAdopters: the caller knows there is none). remaining: for a
-- final sent to its origin alone, how many events of the session are still pending (the origin
-- then knows, without asking, whether other nodes admitted some).
-- Returns the log id and how many adopters it was sent to.
local function deliver(h, origin, json, ttl, maxlen, toOrigin, noAdopters, remaining)
  local base = P .. 'ses:' .. h
  local id = redis.call('XADD', base .. ':log', 'MAXLEN', '~', maxlen, '*', 'e', json)
  redis.call('PEXPIRE', base .. ':log', ttl)
  local head = {h, id}
  if remaining then head[3] = remaining end
  local msg = 'M' .. cjson.encode(head) .. '\\n' .. json
  local sent = {}
  if origin and origin ~= '' then
    if toOrigin then redis.call('PUBLISH', P .. 'to:' .. origin, msg) end
    sent[origin] = true
  end
  local others = 0
  if noAdopters then return id, 0 end
  for _, m in ipairs(redis.call('SMEMBERS', base .. ':pending')) do
    local n = adopter(m)
    if n and not sent[n] then
      redis.call('PUBLISH', P .. 'to:' .. n, msg)
      others = others + 1
    end
  end
  return id, others
end
-- Tells each origin node (other than this one) that its events left the queue elsewhere: "L"
-- removed, or (kind "S") claimed, so started: the origin tells its users so itself.
local function tell_origins(byOrigin, kind)
  for origin, ids in pairs(byOrigin) do
    if origin ~= NODE then redis.call('PUBLISH', P .. 'to:' .. origin, (kind or 'L') .. cjson.encode(ids)) end
  end
end
local function add_origin(byOrigin, origin, e)
  if origin then
    local list = byOrigin[origin]
    if list == nil then list = {}; byOrigin[origin] = list end
    list[#list + 1] = e
  end
end
-- Removes a waiting event for good (not its pending entry); returns its job JSON, its session and
-- origin, or false when it is not waiting.
local function remove_waiting(e, byOrigin, wakeKind)
  local jk = P .. 'job:' .. e
  local f = redis.call('HMGET', jk, 'json', 'pool', 'fn', 'ses', 'origin', 'lease')
  if not f[1] or f[6] then return false end
  if redis.call('ZREM', P .. 'wait:' .. f[2], f[3] .. ':' .. e) == 0 then return false end
  redis.call('DEL', jk)
  add_origin(byOrigin, f[5], e)
  if wakeKind then redis.call('PUBLISH', P .. 'wake', NODE .. ' ' .. wakeKind .. ' ' .. f[2]) end
  return f[1], f[4], f[5]
end
-- The running jobs of a pool, for ETAs: {fnId, ageMs, fnId, ageMs...}.
local function running_of(pool, now)
  local out = {}
  for _, m in ipairs(redis.call('ZRANGE', P .. 'run:' .. pool, 0, -1)) do
    local head = split_claim(m)
    local f = redis.call('HMGET', P .. 'job:' .. head, 'fn', 'start')
    if f[1] then
      out[#out + 1] = f[1]
      out[#out + 1] = now - (tonumber(f[2]) or now)
    end
  end
  return out
end
`;

/**
 * Claiming, shared by the scripts that may claim for the calling node (claim, enqueue, release).
 * A claim request is an ARGV tail at index `at`: lease ("" = do not claim), leaseMs, nPools,
 * (pool, limit|"")..., nFns, (fnId, batchSize)... `try_claim` takes the oldest head among pools with
 * a free slot (and its batch), marks its jobs claimed and returns {poolId, fnId, json, origin,
 * json, origin...}, or nil, and (unless the caller is alone) wakes the other nodes: ranks moved.
 * Its second result says whether work may wait in the request's pools (see RedisStore#took).
 */
export const CLAIM_LIB = `
local function claim_request(at)
  local lease = ARGV[at]
  if lease == nil or lease == '' then return nil end
  local req = {lease = lease, leaseMs = tonumber(ARGV[at + 1]), pools = {}, batch = {}}
  local n = tonumber(ARGV[at + 2])
  local i = at + 3
  for _ = 1, n do
    req.pools[#req.pools + 1] = {ARGV[i], ARGV[i + 1]}
    i = i + 2
  end
  local nf = tonumber(ARGV[i])
  for k = 1, nf do req.batch[ARGV[i + 2 * k - 1]] = tonumber(ARGV[i + 2 * k]) end
  return req
end
local function slot_free(pool, limit)
  return limit == '' or redis.call('ZCARD', P .. 'run:' .. pool) < tonumber(limit)
end
-- The events of a batch: the head, then the next waiting events of its function in its pool.
local function batch_of(pool, fn, head, size)
  local ids = {head}
  if size <= 1 then return ids end
  local key, pre = P .. 'wait:' .. pool, fn .. ':'
  local from = 1
  while #ids < size do
    local chunk = redis.call('ZRANGE', key, from, from + 99)
    if #chunk == 0 then break end
    for _, m in ipairs(chunk) do
      if string.sub(m, 1, #pre) == pre then
        ids[#ids + 1] = string.sub(m, #pre + 1)
        if #ids >= size then break end
      end
    end
    from = from + 100
  end
  return ids
end
-- Marks the events claimed by this node under req.lease; returns the claim's reply.
local function take(req, pool, fn, ids, now)
  local out = {pool, fn}
  local byOrigin = {}
  for k, e in ipairs(ids) do
    local jk = P .. 'job:' .. e
    local f = redis.call('HMGET', jk, 'json', 'origin', 'tries')
    redis.call('ZREM', P .. 'wait:' .. pool, fn .. ':' .. e)
    local tries = (tonumber(f[3]) or 0) + 1
    if k == 1 and #ids > 1 then
      redis.call('HSET', jk, 'lease', req.lease, 'node', NODE, 'start', now, 'tries', tries, 'batch', cjson.encode(ids))
    else
      redis.call('HSET', jk, 'lease', req.lease, 'node', NODE, 'start', now, 'tries', tries)
    end
    out[#out + 1] = f[1]
    out[#out + 1] = f[2] or ''
    add_origin(byOrigin, f[2], e)
  end
  redis.call('ZADD', P .. 'run:' .. pool, now + req.leaseMs, ids[1] .. '|' .. req.lease)
  tell_origins(byOrigin, 'S')
  return out
end
local function try_claim(req, alone, freed)
  if req == nil then return nil, true end
  -- saw: some pool of the request has work waiting, or is full (its work may wait for a slot).
  -- freed: a pool whose slot the script just freed (no need to count its running jobs).
  local best, bestScore, bestMember
  local saw = false
  for _, p in ipairs(req.pools) do
    if p[1] == freed or slot_free(p[1], p[2]) then
      local head = redis.call('ZRANGE', P .. 'wait:' .. p[1], 0, 0, 'WITHSCORES')
      if head[1] then
        saw = true
        local score = tonumber(head[2])
        if best == nil or score < bestScore then best, bestScore, bestMember = p[1], score, head[1] end
      end
    else
      saw = true
    end
  end
  if best == nil then return nil, saw end
  local fn = string.match(bestMember, '^(%-?%d+):')
  local first = string.sub(bestMember, #fn + 2)
  local ids = batch_of(best, fn, first, req.batch[fn] or 1)
  local out = take(req, best, fn, ids, now_ms())
  if alone ~= '1' then redis.call('PUBLISH', P .. 'wake', NODE .. ' c ' .. best) end
  return out, true
end
`;
