/**
 * The Lua scripts of {@link RedisStore}'s sessions: publishing an engine event to its session's
 * log and nodes, adopting a session, and asking whether another node holds it.
 */
import { LEVELS_LIB } from "./redisLevels.ts";
import { PRELUDE } from "./redisPrelude.ts";

/**
 * publish: ARGV = P, node, sessionHash, eventId, type, eventJson, force ("1"/"0"), sessionTtlMs,
 * sessionMaxLen, origin ("" = read it from the job), toOrigin ("0": the origin delivered it itself).
 * Sends an engine event to its origin node and to the nodes that adopted the session, unless the
 * event has already ended (nothing may follow a terminal message) or, for an estimation, has
 * started. A progress message of a session no node adopted goes to its origin alone, unlogged
 * (log id ""), as the origin's own progress messages are: the log is what a catch-up reads, and a
 * log holding only such messages would make the session's next join look known elsewhere. A
 * terminal message is logged and ends the event: it leaves the session's pending set (and the
 * queue, if a retry had put it back), and its origin is told how many events of the session are
 * still pending. Returns the log id ("" unlogged), or false when dropped.
 */
export const PUBLISH = `${PRELUDE}${LEVELS_LIB}
local h, e, kind, json, force, ttl, maxlen, origin = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local toOrigin = ARGV[11] ~= '0'
local pendingKey = P .. 'ses:' .. h .. ':pending'
if force ~= '1' and redis.call('SISMEMBER', pendingKey, e) == 0 then return false end
local jk = P .. 'job:' .. e
if kind == 'estimation' and redis.call('HEXISTS', jk, 'lease') == 1 then return false end
local terminal = kind == 'completed' or kind == 'failed' or kind == 'cancelled'
if terminal then
  redis.call('SREM', pendingKey, e)
  local f = job_fields(e)
  drop_waiting(e, f)
  if origin == '' then origin = f.origin end
elseif origin == '' then
  origin = redis.call('HGET', jk, 'origin')
end
if force == '1' or not origin or origin == '' or not toOrigin then return deliver(h, origin, json, ttl, maxlen, toOrigin) end
local remaining, adopted = 0, false
for _, m in ipairs(redis.call('SMEMBERS', pendingKey)) do
  local n = adopter(m)
  if not n then remaining = remaining + 1 elseif n ~= origin then adopted = true end
end
if adopted then return deliver(h, origin, json, ttl, maxlen, toOrigin) end
if not terminal then
  redis.call('PUBLISH', P .. 'to:' .. origin, 'M' .. cjson.encode({h, ''}) .. '\\n' .. json)
  return ''
end
return deliver(h, origin, json, ttl, maxlen, toOrigin, true, remaining)
`;

/**
 * adopt: ARGV = P, node, sessionHash, maxCount, sessionTtlMs, hold ("1": join even if empty). This
 * node will hold the session's stream: it joins the session's nodes, and gets the events still
 * pending and the messages after the last one a reader was given: {pendingIds, {id, json, id,
 * json...}, runningIds} (running: claimed, so started; their start may have gone to their origin
 * alone, unlogged). Empty lists: nothing to deliver (and, unless `hold`, the node does not join). The
 * origins of the pending events that have not adopted the session themselves are told ("H"): they
 * delivered its messages in-process so far, and log them from now on. Every node hears that this
 * one touched the session ("s"): one that held it solo (SoloSessions.ts) no longer does.
 */
export const ADOPT = `${PRELUDE}
local h = ARGV[3]
redis.call('PUBLISH', P .. 'wake', NODE .. ' s ' .. h)
local base = P .. 'ses:' .. h
local pk = base .. ':pending'
local pending, running = {}, {}
for _, m in ipairs(redis.call('SMEMBERS', pk)) do
  if not adopter(m) then
    pending[#pending + 1] = m
    if redis.call('HEXISTS', P .. 'job:' .. m, 'lease') == 1 then running[#running + 1] = m end
  end
end
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
  if redis.call('SADD', pk, '@' .. NODE) == 1 then
    local told = {}
    for _, e in ipairs(pending) do
      local o = redis.call('HGET', P .. 'job:' .. e, 'origin')
      if o and o ~= NODE and not told[o] and redis.call('SISMEMBER', pk, '@' .. o) == 0 then
        redis.call('PUBLISH', P .. 'to:' .. o, 'H' .. h)
        told[o] = true
      end
    end
  end
  redis.call('PEXPIRE', pk, ARGV[5])
end
return {pending, backlog, running}
`;

/** heldElsewhere: ARGV = P, node, sessionHash. 1 when a live node other than this one adopted the session. */
export const HELD_ELSEWHERE = `${PRELUDE}
for _, m in ipairs(redis.call('SMEMBERS', P .. 'ses:' .. ARGV[3] .. ':pending')) do
  local n = adopter(m)
  if n and n ~= NODE and redis.call('EXISTS', P .. 'node:' .. n) == 1 then return 1 end
end
return 0
`;
