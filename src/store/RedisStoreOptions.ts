import type { RedisOptions } from "ioredis";
import { UsherError } from "../errors.ts";

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** Redis URL. Default "redis://127.0.0.1:6379". */
  url?: string;
  /**
   * A Redis Cluster instead of one Redis: some of its nodes as "host:port" (the client finds the
   * rest). Every key of a queue carries the key prefix as a hash tag, so a queue lives in one slot.
   * Options such as a password go in `redis` (they apply to every node).
   */
  cluster?: readonly string[];
  /** Prefix of every key and channel; one per app (processes of one app share it). Default "usher:". */
  keyPrefix?: string;
  /**
   * A process running a job renews its lease every `leaseMs / 3`; a lease not renewed for
   * `leaseMs` (the process died or hangs) is reaped: its job is retried or failed. Default 15 000.
   */
  leaseMs?: number;
  /** Runs a job whose process died at most this many times in all; then it fails. Default 2 (one retry). */
  maxAttempts?: number;
  /**
   * How long a session's messages are kept for a reconnect, after its last message, ms. Default
   * 600 000. In an app that writes no State, sessions' owner records last 4/3 of it after their
   * last use.
   */
  sessionTtlMs?: number;
  /** Most messages kept per session (older ones are trimmed). Default 1000. */
  sessionMaxMessages?: number;
  /** How long an uploaded or produced file is kept in Redis after its last use, ms. Default 3 600 000. */
  fileTtlMs?: number;
  /** Largest file kept in Redis, bytes (a bigger upload is refused with 413). Default 64 MiB. */
  maxFileBytes?: number;
  /**
   * How long a session's State values are kept after their last use, ms. Default 21 600 000 (6 h).
   * In an app that writes State, sessions' owner records last as long.
   */
  stateTtlMs?: number;
  /** Most time {@link RedisStore.ready} (and so `launch()`) waits for Redis, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Extra ioredis options (TLS, password...). */
  redis?: RedisOptions;
}

/** {@link RedisStoreOptions} with defaults applied. */
export interface ResolvedRedisStoreOptions {
  readonly url: string;
  /** Cluster seed nodes ("host:port"); empty: one Redis at `url`. */
  readonly cluster: readonly string[];
  readonly keyPrefix: string;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly sessionTtlMs: number;
  readonly sessionMaxMessages: number;
  readonly fileTtlMs: number;
  readonly maxFileBytes: number;
  readonly stateTtlMs: number;
  readonly connectTimeoutMs: number;
  readonly redis: RedisOptions;
}

/** Checks and fills in {@link RedisStoreOptions}; throws INVALID_OPTIONS. */
export function resolveRedisStoreOptions(o: RedisStoreOptions): ResolvedRedisStoreOptions {
  const positive = (name: keyof RedisStoreOptions, value: number | undefined, fallback: number, min = 1): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `redisStore(): ${name} must be an integer ≥ ${min}, got ${String(value)}.`,
      );
    }
    return value;
  };
  const keyPrefix = o.keyPrefix ?? "usher:";
  if (typeof keyPrefix !== "string" || keyPrefix === "") {
    throw new UsherError("INVALID_OPTIONS", "redisStore(): keyPrefix must be a non-empty string.");
  }
  const cluster = o.cluster ?? [];
  if (!Array.isArray(cluster) || !cluster.every((n) => typeof n === "string" && /^[^\s:]+:\d{1,5}$/.test(n))) {
    throw new UsherError("INVALID_OPTIONS", 'redisStore(): cluster must list nodes as "host:port".');
  }
  return {
    url: o.url ?? "redis://127.0.0.1:6379",
    cluster,
    keyPrefix,
    leaseMs: positive("leaseMs", o.leaseMs, 15_000, 100),
    maxAttempts: positive("maxAttempts", o.maxAttempts, 2),
    sessionTtlMs: positive("sessionTtlMs", o.sessionTtlMs, 600_000),
    sessionMaxMessages: positive("sessionMaxMessages", o.sessionMaxMessages, 1000),
    fileTtlMs: positive("fileTtlMs", o.fileTtlMs, 3_600_000),
    maxFileBytes: positive("maxFileBytes", o.maxFileBytes, 64 * 1024 * 1024),
    stateTtlMs: positive("stateTtlMs", o.stateTtlMs, 6 * 3_600_000),
    connectTimeoutMs: positive("connectTimeoutMs", o.connectTimeoutMs, 10_000),
    redis: o.redis ?? {},
  };
}
