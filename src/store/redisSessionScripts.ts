/**
 * The Lua scripts of {@link RedisStore}'s sessions: publishing an engine event to its session's
 * log and nodes, adopting a session, and asking whether another node holds it.
 */
import { PRELUDE } from "./redisPrelude.ts";

/**
 * publish: ARGV = P, node, sessionHash, eventId, type, eventJson, force ("1"/"0"), sessionTtlMs,
 * sessionMaxLen, origin ("" = read it from the job), toOrigin ("0": the origin delivered it itself). Appends an engine event to its session's log and
 * sends it to the event's origin node and to the nodes that adopted the session, unless the event
 * has already ended (nothing may follow a terminal message) or, for an estimation, has started. A
 * terminal message ends the event: it leaves the session's pending set (and the queue, if a retry
 * had put it back). Returns the log id, or false when dropped.
 */
export const PUBLISH = `${PRELUDE}
local h, e, kind, json, force, ttl, maxlen, origin = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local toOrigin = ARGV[11] ~= '0'
local pendingKey = P .. 'ses:' .. h .. ':pending'
if force ~= '1' and redis.call('SISMEMBER', pendingKey, e) == 0 then return false end
local jk = P .. 'job:' .. e
if kind == 'estimation' and redis.call('HEXISTS', jk, 'lease') == 1 then return false end
if kind == 'completed' or kind == 'failed' or kind == 'cancelled' then
  redis.call('SREM', pendingKey, e)
  local f = redis.call('HMGET', jk, 'pool', 'fn', 'lease', 'origin')
  if f[1] and not f[3] and redis.call('ZREM', P .. 'wait:' .. f[1], f[2] .. ':' .. e) == 1 then redis.call('DEL', jk) end
  if origin == '' then origin = f[4] end
elseif origin == '' then
  origin = redis.call('HGET', jk, 'origin')
end
return deliver(h, origin, json, ttl, maxlen, toOrigin)
`;

/**
 * adopt: ARGV = P, node, sessionHash, maxCount, sessionTtlMs, hold ("1": join even if empty). This
 * node will hold the session's stream: it joins the session's nodes, and gets the events still
 * pending and the messages after the last one a reader was given: {pendingIds, {id, json, id,
 * json...}}. Empty lists: nothing to deliver (and, unless `hold`, the node does not join). The
 * origins of the pending events that have not adopted the session themselves are told ("H"): they
 * delivered its messages in-process so far, and log them from now on.
 */
export const ADOPT = `${PRELUDE}
local h = ARGV[3]
local base = P .. 'ses:' .. h
local pk = base .. ':pending'
local pending = {}
for _, m in ipairs(redis.call('SMEMBERS', pk)) do
  if not adopter(m) then pending[#pending + 1] = m end
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
return {pending, backlog}
`;

/** heldElsewhere: ARGV = P, node, sessionHash. 1 when a live node other than this one adopted the session. */
export const HELD_ELSEWHERE = `${PRELUDE}
for _, m in ipairs(redis.call('SMEMBERS', P .. 'ses:' .. ARGV[3] .. ':pending')) do
  local n = adopter(m)
  if n and n ~= NODE and redis.call('EXISTS', P .. 'node:' .. n) == 1 then return 1 end
end
return 0
`;
