/**
 * `usher-ml/redis`: the Redis store for scale-out (one queue over many processes and machines).
 * A subpath of its own so that an app without Redis never loads ioredis: the root entry
 * (src/index.ts) does not import this file, and the depcheck rule `root-loads-no-redis` keeps it so.
 */
export { redisStore, RedisStore, type RedisStoreOptions } from "./store/RedisStore.ts";
