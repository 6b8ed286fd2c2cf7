/**
 * The Lua scripts of {@link RedisStore}: every step that must be atomic across processes
 * (admission against `maxSize`, claiming a slot and a batch, releasing, reaping expired leases,
 * publishing a session message) is one script, so no two processes can interleave inside it.
 *
 * Conventions: ARGV[1] is the key prefix, ARGV[2] the calling node's id; keys are built from the
 * prefix inside the scripts (see the key table in RedisStore.ts). That is fine on a single Redis
 * primary (with or without replicas) and is why Redis Cluster is not supported.
 *
 * The scripts live by concern: redisQueueScripts.ts (the queue), redisLeaseScripts.ts (leases and
 * recovery), redisSessionScripts.ts (session logs and owners); redisPrelude.ts holds their helpers.
 */
import { FAIL_LOST, REAP, RENEW, RESTORE } from "./redisLeaseScripts.ts";
import {
  CANCEL_EVENT,
  CANCEL_RUNNING_SESSION,
  CLAIM,
  ENQUEUE,
  POOL_SIZES,
  RANK,
  RELEASE,
  REMOVE,
  REMOVE_SESSION,
  SNAPSHOT,
  WAITING,
} from "./redisQueueScripts.ts";
import { ADOPT, PUBLISH, READER_ELSEWHERE } from "./redisSessionScripts.ts";

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
  usherReaderElsewhere: READER_ELSEWHERE,
  usherRestore: RESTORE,
  usherFailLost: FAIL_LOST,
} as const;

/** Name of a script command. */
export type ScriptName = keyof typeof SCRIPTS;
