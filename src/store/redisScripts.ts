/**
 * The Lua scripts of {@link RedisStore}: every step that must be atomic across processes
 * (admission against `maxSize`, claiming a slot and a batch, releasing, reaping expired leases,
 * publishing a session message) is one script, so no two processes can interleave inside it.
 *
 * Conventions (docs/redis-protocol.md has the whole protocol): KEYS[1] is `<P>seq`, ARGV[1] the key
 * prefix P (the configured prefix in braces, a hash tag), ARGV[2] the calling node's id. A script
 * builds its other keys from P: they all share the hash tag of KEYS[1], so on Redis Cluster every
 * key of one queue is in one slot and the script runs there.
 *
 * The scripts live by concern: redisQueueScripts.ts (admission, claims, releases), redisViewScripts.ts
 * (removals, ranks, snapshots), redisLeaseScripts.ts (leases and recovery), redisSessionScripts.ts
 * (session logs); redisPrelude.ts, redisLevels.ts (the fair order) and redisClaimLib.ts hold their
 * helpers.
 */
import { FAIL_LOST, REAP, RENEW, RESTORE } from "./redisLeaseScripts.ts";
import { CLAIM, ENQUEUE, RELEASE } from "./redisQueueScripts.ts";
import {
  CANCEL_EVENT,
  CANCEL_RUNNING_SESSION,
  POOL_SIZES,
  RANK,
  REMOVE,
  REMOVE_SESSION,
  SNAPSHOT,
  WAITING,
} from "./redisViewScripts.ts";
import { ADOPT, HELD_ELSEWHERE, PUBLISH } from "./redisSessionScripts.ts";

/** Every script, by the command name it is defined under. */
export const SCRIPTS = {
  usherEnqueue: ENQUEUE,
  usherClaim: CLAIM,
  usherRelease: RELEASE,
  usherRemove: REMOVE,
  usherRemoveSession: REMOVE_SESSION,
  usherCancelEvent: CANCEL_EVENT,
  usherCancelRunningSession: CANCEL_RUNNING_SESSION,
  usherRank: RANK,
  usherWaiting: WAITING,
  usherPoolSizes: POOL_SIZES,
  usherSnapshot: SNAPSHOT,
  usherRenew: RENEW,
  usherReap: REAP,
  usherPublish: PUBLISH,
  usherAdopt: ADOPT,
  usherHeldElsewhere: HELD_ELSEWHERE,
  usherRestore: RESTORE,
  usherFailLost: FAIL_LOST,
} as const;

/** Name of a script command. */
export type ScriptName = keyof typeof SCRIPTS;
