/**
 * The helpers every Lua script of {@link RedisStore} starts with (see redisScripts.ts for the
 * scripts' conventions).
 */
export const PRELUDE = `
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
