/** How {@link RedisLink} opens its connections: to one Redis, or to a Redis Cluster. */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { UsherError } from "../errors.ts";
import type { ResolvedRedisStoreOptions } from "./RedisStoreOptions.ts";

/** Version of the key layout and scripts (docs/redis-protocol.md); a node refuses a dataset of another. */
export const PROTOCOL_VERSION = "3";

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

/** Refuses a dataset written by another version of the protocol (a mixed deployment would corrupt it). */
export async function checkProtocol(cmd: RedisClient, prefix: string, keyPrefix: string): Promise<void> {
  const key = `${prefix}proto`;
  await cmd.set(key, PROTOCOL_VERSION, "NX");
  const found = await cmd.get(key);
  if (found !== PROTOCOL_VERSION) {
    throw new UsherError(
      "INVALID_OPTIONS",
      `The Redis keys under prefix "${keyPrefix}" use Usher's queue protocol version ${String(found)}; this Usher speaks version ${PROTOCOL_VERSION}. Use another keyPrefix, or stop every process of the old version and delete those keys.`,
    );
  }
}
