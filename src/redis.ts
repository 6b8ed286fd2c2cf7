/**
 * `usher-ml/redis`: the Redis store for scale-out (one queue over many processes and machines).
 * A subpath of its own so that an app without Redis never loads ioredis: the root entry
 * (src/index.ts) does not import this file, and the depcheck rule `root-loads-no-redis` keeps it so.
 */
export { redisStore, RedisStore, type RedisStoreOptions } from "./store/RedisStore.ts";
/**
 * The protocol's Lua, for workers written in another language (`usher redis-scripts <folder>`
 * writes it out): every script by its name, and the batch's function library (Redis 7).
 */
export { SCRIPTS as REDIS_SCRIPTS } from "./store/redisScripts.ts";
export { BATCH_LIBRARY as REDIS_BATCH_LIBRARY } from "./store/redisBatch.ts";
