/**
 * The Lua scripts of {@link RedisStore}'s sessions: publishing an engine event to its session's
 * log and nodes, adopting a session, and asking whether another node reads it.
 */
import { PRELUDE } from "./redisPrelude.ts";

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
