/**
 * Redis for the scale-out tests: the real server on 127.0.0.1:6379 (`.ci/run` starts it), a
 * fresh key prefix per store so that tests never see each other's keys, and cleanup of every key
 * this test process made.
 */
import { after } from "node:test";
import { Redis } from "ioredis";
import { RedisStore, type RedisStoreOptions } from "../../src/redis.ts";

/** The Redis the tests use. */
export const REDIS_URL = process.env["USHER_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";

/** Every key of this test process starts with this. */
export const TEST_PREFIX_ROOT = `usher-test:${process.pid}:`;

let counter = 0;

// Registered when a test file imports this helper (at its top level): runs after all its tests.
after(() => deleteKeys(TEST_PREFIX_ROOT));

/** A key prefix no other test uses; every key under this process's root is deleted when the file ends. */
export function testPrefix(label = "t"): string {
  counter++;
  return `${TEST_PREFIX_ROOT}${label}${counter}:`;
}

/** A connected Redis store on a fresh prefix (or the one given). */
export async function makeRedisStore(options: RedisStoreOptions = {}): Promise<RedisStore> {
  const store = new RedisStore({ url: REDIS_URL, keyPrefix: options.keyPrefix ?? testPrefix(), ...options });
  await store.ready(5000);
  return store;
}

/** The Redis key of `name` in the queue of `keyPrefix` (the store puts the prefix in braces: a hash tag). */
export function storeKey(keyPrefix: string, name: string): string {
  return `{${keyPrefix}}${name}`;
}

/** Deletes every key starting with `prefix`, or with `{prefix` (a store's keys; SCAN, never KEYS). */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
}

/** A plain client on the test Redis (for checks from the outside); disconnected when the file ends. */
export function rawRedis(url = REDIS_URL): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  after(() => redis.disconnect());
  return redis;
}
