/** Cleans up after a scenario that used Redis: deletes every key under its prefix. */
import { Redis } from "ioredis";

/**
 * Deletes (UNLINK) every key named `prefix…` or `{prefix…`: a store may hash-tag its keys (the
 * prefix inside braces, so that one slot of a Redis Cluster holds a deployment's keys), and the
 * bench does not need to know which. `prefix` must hold no glob characters (`*?[]\`).
 */
export async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.unlink(...keys);
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
