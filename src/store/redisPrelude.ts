/** The first lines of {@link PRELUDE}: what every script reads from ARGV before its helpers. */
export const PRELUDE_ARGS = `
local P = ARGV[1]
local NODE = ARGV[2]
`;

/**
 * The helpers every Lua script of {@link RedisStore} starts with (see docs/redis-protocol.md for the
 * keys, and redisScripts.ts for the scripts' conventions). First {@link PRELUDE_ARGS}: the key
 * prefix `P` and the node's id `NODE` from ARGV, which the batch function (redisBatch.ts) declares
 * instead and sets for each call.
 */
export const PRELUDE = `${PRELUDE_ARGS}local function now_ms()
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
