/** How {@link RedisLink} opens its connections: to one Redis, or to a Redis Cluster. */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { ResolvedRedisStoreOptions } from "./RedisStoreOptions.ts";

/** A connection to one Redis, or to a Redis Cluster (`redisStore({ cluster })`). */
export type RedisClient = Redis | Cluster;

/**
 * One connection: to `url`, or, with `cluster` seed nodes, to the Redis Cluster (every key of a queue
 * shares its hash tag, so each script runs on the node owning the queue's slot).
 */
export function connect(options: ResolvedRedisStoreOptions, common: RedisOptions, offlineQueue: boolean): RedisClient {
  if (options.cluster.length === 0) return new Redis(options.url, { ...common, enableOfflineQueue: offlineQueue });
  const nodes = options.cluster.map((hostPort) => {
    const at = hostPort.lastIndexOf(":");
    return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
  });
  const { retryStrategy: _retry, ...nodeOptions } = common;
  return new Cluster(nodes, {
    redisOptions: nodeOptions,
    enableOfflineQueue: offlineQueue,
    clusterRetryStrategy: (times) => Math.min(50 * times, 1000),
  });
}

/** Resolves on the connection's first "ready". */
export function waitReady(conn: RedisClient): Promise<void> {
  if (conn.status === "ready") return Promise.resolve();
  return new Promise((resolve) => conn.once("ready", () => resolve()));
}
