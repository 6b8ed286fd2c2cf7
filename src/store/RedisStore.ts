/**
 * The Redis {@link QueueStore}: one queue shared by every process (front or worker, on any
 * machine) that points at the same Redis with the same key prefix. Global FIFO, `maxSize`, pool
 * limits, ranks and ETAs hold across all of them; a job whose process dies is retried or failed
 * (leases); session messages live in Redis so that any front can stream them.
 *
 * Every step that must be atomic is one Lua script (redisScripts.ts). Nothing polls: processes
 * wake each other through pub/sub (`wake` channel: a join, a release, a claim) and send each other
 * messages on per-node channels (`to:<node>`); the only timers are the lease heartbeat
 * (`leaseMs / 3`) and the reaper (about `leaseMs / 2`) of expired leases and of the sessions of
 * dead nodes (a front that died: its users' events leave the queue; see REAP in redisScripts.ts).
 *
 * Key layout (P = keyPrefix, default "usher:"; "seq" = admission sequence; one Redis primary,
 * Redis ≥ 6.2; not Redis Cluster):
 *
 * | key                      | type   | holds                                                               |
 * | ------------------------ | ------ | ------------------------------------------------------------------- |
 * | P seq                    | string | admission counter (INCR): the global FIFO order                      |
 * | P size                   | string | waiting events in all pools (maxSize is checked against it)         |
 * | P pools                  | set    | pool ids that ever had waiting events (for poolSizes)                |
 * | P wait:<pool>            | zset   | "<fnId>:<eventId>" by seq: the pool's queue; ZRANK = rank, O(log n)  |
 * | P fnq:<fnId>:<pool>      | zset   | eventId by seq: one function's events in a pool (batches)            |
 * | P sesq:<session>         | zset   | eventId by seq: a session's waiting events (removeSession)           |
 * | P job:<eventId>          | hash   | json (StoredJob), pool, fn, seq, ses, origin node, tries, claim      |
 * | P run:<pool>             | zset   | claimId by start time: running slots (ZCARD = running)               |
 * | P leases                 | zset   | claimId by lease expiry (Redis time, ms): what the reaper looks at   |
 * | P claim:<claimId>        | hash   | pool, fn, node (runner), start, events (JSON list of eventIds)       |
 * | P node:<nodeId>          | string | liveness of a node, expires after leaseMs                            |
 * | P nodes                  | zset   | nodeId by its last heartbeat (Redis time): the reaper finds the dead |
 * | P nses:<nodeId>          | set    | sessions a node holds (joined or adopted there), for when it dies    |
 * | P reaped, P calm         | string | time of the last reap; "calm" (TTL leaseMs): reap nothing after a pause |
 * | P dur:<fnId>             | list   | latest 20 call durations (ms), newest first, for shared ETAs         |
 * | P epoch                  | string | random id of this Redis dataset: a change means Redis lost its data  |
 * | P ses:<session>:log      | stream | the session's messages (field e = engine event JSON), capped, TTL    |
 * | P ses:<session>:pending  | set    | eventIds admitted and not ended                                      |
 * | P ses:<session>:nodes    | set    | nodes holding the session (its messages are sent to them)            |
 * | P ses:<session>:readers  | set    | nodes with an open stream of the session (disconnect grace)          |
 * | P ses:<session>:cursor   | string | log id of the last message given to a reader (reconnects resume)     |
 * | P state:<session>        | hash   | State values (JSON) by component id, TTL stateTtlMs                  |
 * | P owner:<session>        | string | who the session belongs to (JSON: user, key, address, keyed), TTL stateTtlMs |
 * | P file:<kind>/<id>/<name> | string | an uploaded or produced file's bytes, TTL fileTtlMs                 |
 * | channel P wake           | pubsub | "<node> <kind> <args>": j join, r release, x removal, c claim, d duration |
 * | channel P to:<nodeId>    | pubsub | M session message, L events left the queue, C cancel request         |
 */
import { randomBytes } from "node:crypto";
import type { TimerHandle } from "../clock.ts";
import type { SharedOwnerStore } from "./OwnerStore.ts";
import { UsherError } from "../errors.ts";
import type { CancelReason } from "../queue/index.ts";
import type { FileStore } from "./FileStore.ts";
import type { Claim, ClaimRequest, EnqueueResult, QueueStore, StoreChange, StoredJob } from "../queue/index.ts";
import { RedisFileStore } from "./RedisFileStore.ts";
import { RedisLink } from "./RedisLink.ts";
import { resolveRedisStoreOptions, type RedisStoreOptions } from "./RedisStoreOptions.ts";
import { RedisSessionBus } from "./RedisSessionBus.ts";
import { RedisSessionOwners } from "./RedisSessionOwners.ts";
import { RedisSessionState } from "./RedisSessionState.ts";
import type { SessionStateStore } from "./SessionStateStore.ts";
import type { PoolSnapshot, QueueCluster } from "../queue/index.ts";
import type { SessionBus, SharedQueueStore } from "./SharedQueueStore.ts";

export type { RedisStoreOptions } from "./RedisStoreOptions.ts";

/** Calls kept per function in `dur:<fnId>` (the engine's moving-average window). */
const DURATION_SAMPLES = 20;
/**
 * A node shares at most one call duration per function per this period (the latest): under load a
 * sample per call would be a message to every node per call, for ETAs that need far fewer.
 */
const DURATION_SHARE_MS = 250;

/** A store on Redis shared by every process with the same URL and key prefix. See the file comment. */
export class RedisStore implements SharedQueueStore, QueueCluster {
  readonly shared = true;
  readonly cluster: QueueCluster = this;
  readonly bus: SessionBus;
  readonly #bus: RedisSessionBus;
  readonly #link: RedisLink;
  readonly #wakeListeners = new Set<(change: StoreChange) => void>();
  readonly #leftListeners = new Set<(ids: readonly string[]) => void>();
  readonly #cancelListeners = new Set<(eventId: string, reason: CancelReason) => void>();
  readonly #durationListeners = new Set<(fnId: number, ms: number) => void>();
  /** Latest unshared call duration per function, and the timer that shares them. */
  readonly #durations = new Map<number, number>();
  #durationTimer: TimerHandle | null = null;
  /** ARGV tails of claim requests (the engine builds one request and reuses it). */
  readonly #claimArgs = new WeakMap<ClaimRequest, (string | number)[]>();
  #closed = false;

  constructor(options: RedisStoreOptions = {}) {
    this.#link = new RedisLink(resolveRedisStoreOptions(options));
    this.#bus = new RedisSessionBus(this.#link);
    this.bus = this.#bus;
    this.#link.onWake((from, kind, args) => {
      if (from === this.#link.nodeId) return;
      if (kind === "d") {
        const fnId = Number(args[0]);
        const ms = Number(args[1]);
        if (Number.isFinite(fnId) && Number.isFinite(ms)) for (const l of this.#durationListeners) l(fnId, ms);
        return;
      }
      // A join or a release may make work claimable; a claim or a removal only moves ranks.
      const change: StoreChange = kind === "j" || kind === "r" ? "work" : "ranks";
      for (const l of this.#wakeListeners) l(change);
    });
    this.#link.onNodeMessage("L", (body) => {
      const ids = JSON.parse(body) as string[];
      for (const l of this.#leftListeners) l(ids);
    });
    this.#link.onNodeMessage("C", (body) => {
      const [eventId, reason] = JSON.parse(body) as [string, CancelReason];
      for (const l of this.#cancelListeners) l(eventId, reason);
    });
  }

  /** This node's id. */
  get nodeId(): string {
    return this.#link.nodeId;
  }

  /** The key prefix. */
  get keyPrefix(): string {
    return this.#link.prefix;
  }

  ready(timeoutMs?: number): Promise<void> {
    return this.#link.ready(timeoutMs);
  }

  // ---------------------------------------------------------------------------------------------
  // QueueStore

  async enqueue(job: StoredJob, maxSize: number | null): Promise<EnqueueResult> {
    const r = (await this.#link.run(
      "usherEnqueue",
      job.eventId,
      job.sessionHash,
      job.fnId,
      job.poolId,
      JSON.stringify(job),
      maxSize === null ? "" : maxSize,
      this.#link.options.sessionTtlMs,
    )) as [number, number?, number?, number?, (string | number)[]?];
    const [status = 0, a = 0, b = 0, c = 0, flat] = r;
    if (status === 1) {
      if (a !== 0 || flat === undefined) return { accepted: true, rank: a, poolSize: b, totalSize: c };
      const running: { fnId: number; ageMs: number }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) running.push({ fnId: Number(flat[i]), ageMs: Number(flat[i + 1]) });
      return { accepted: true, rank: a, poolSize: b, totalSize: c, running };
    }
    if (status === -1) throw new UsherError("BAD_REQUEST", `Event ${job.eventId} is already in the queue.`);
    return { accepted: false, totalSize: a };
  }

  async claim(request: ClaimRequest): Promise<Claim | null> {
    const leaseId = randomBytes(12).toString("hex");
    const r = (await this.#link.run("usherClaim", leaseId, this.#link.options.leaseMs, ...this.#argsOf(request))) as
      | string[]
      | null;
    if (r === null) return null;
    const [poolId = "", fn = "0", ...jobs] = r;
    this.#link.held.set(leaseId, poolId);
    return { poolId, fnId: Number(fn), jobs: jobs.map((j) => JSON.parse(j) as StoredJob), leaseId };
  }

  async release(poolId: string, claim?: Claim): Promise<void> {
    let leaseId = claim?.leaseId;
    if (leaseId === undefined) {
      // No claim given: free one lease of this pool held here (the oldest).
      for (const [id, pool] of this.#link.held) {
        if (pool === poolId) {
          leaseId = id;
          break;
        }
      }
    }
    if (leaseId === undefined) return;
    this.#link.held.delete(leaseId);
    await this.#link.run("usherRelease", leaseId);
  }

  async remove(eventId: string): Promise<StoredJob | null> {
    const json = (await this.#link.run("usherRemove", eventId)) as string | null;
    return json === null ? null : (JSON.parse(json) as StoredJob);
  }

  async removeSession(sessionHash: string): Promise<StoredJob[]> {
    const list = (await this.#link.run("usherRemoveSession", sessionHash)) as string[];
    return list.map((j) => JSON.parse(j) as StoredJob);
  }

  async waiting(poolId: string): Promise<readonly StoredJob[]> {
    const list = (await this.#link.run("usherWaiting", poolId)) as string[];
    return list.map((j) => JSON.parse(j) as StoredJob);
  }

  async rank(eventId: string): Promise<{ rank: number; poolSize: number } | null> {
    const r = (await this.#link.run("usherRank", eventId)) as [number, number] | null;
    return r === null ? null : { rank: r[0], poolSize: r[1] };
  }

  async size(): Promise<number> {
    const v = await this.#link.call((redis) => redis.get(`${this.#link.prefix}size`));
    return v === null ? 0 : Number(v);
  }

  async poolSizes(): Promise<Map<string, number>> {
    const flat = (await this.#link.run("usherPoolSizes")) as (string | number)[];
    const out = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) out.set(String(flat[i]), Number(flat[i + 1]));
    return out;
  }

  async running(poolId: string): Promise<number> {
    return this.#link.call((redis) => redis.zcard(`${this.#link.prefix}run:${poolId}`));
  }

  /** Called on every join, release, removal or claim made by another process. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.#wakeListeners.add(listener);
    return () => this.#wakeListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#durationTimer !== null) this.#link.clock.clearTimeout(this.#durationTimer);
    this.#bus.close();
    await this.#link.close();
  }

  // ---------------------------------------------------------------------------------------------
  // QueueCluster

  onLeft(listener: (eventIds: readonly string[]) => void): () => void {
    this.#leftListeners.add(listener);
    return () => this.#leftListeners.delete(listener);
  }

  onCancelRequest(listener: (eventId: string, reason: CancelReason) => void): () => void {
    this.#cancelListeners.add(listener);
    return () => this.#cancelListeners.delete(listener);
  }

  onDuration(listener: (fnId: number, durationMs: number) => void): () => void {
    this.#durationListeners.add(listener);
    return () => this.#durationListeners.delete(listener);
  }

  onReconnect(listener: (lostData: boolean) => void): () => void {
    return this.#link.onReconnect(listener);
  }

  async cancelEvent(eventId: string, reason: CancelReason): Promise<StoredJob | "forwarded" | null> {
    const r = (await this.#link.run("usherCancelEvent", eventId, reason)) as [number, string?];
    if (r[0] === 1 && r[1] !== undefined) return JSON.parse(r[1]) as StoredJob;
    return r[0] === 2 ? "forwarded" : null;
  }

  async cancelRunningSession(sessionHash: string, reason: CancelReason): Promise<number> {
    return (await this.#link.run("usherCancelRunningSession", sessionHash, reason)) as number;
  }

  async snapshot(poolId: string): Promise<PoolSnapshot> {
    const [, members, running] = (await this.#link.run("usherSnapshot", poolId)) as [
      number,
      string[],
      (string | number)[],
    ];
    const waiting = members.map((m) => {
      const at = m.indexOf(":");
      return { fnId: Number(m.slice(0, at)), eventId: m.slice(at + 1) };
    });
    const jobs: { fnId: number; ageMs: number }[] = [];
    for (let i = 0; i + 1 < running.length; i += 2)
      jobs.push({ fnId: Number(running[i]), ageMs: Number(running[i + 1]) });
    return { waiting, running: jobs };
  }

  shareDuration(fnId: number, durationMs: number): void {
    this.#durations.set(fnId, durationMs);
    if (this.#durationTimer !== null) return;
    this.#durationTimer = this.#link.clock.setTimeout(() => {
      this.#durationTimer = null;
      for (const [id, ms] of this.#durations) {
        const key = `${this.#link.prefix}dur:${id}`;
        this.#link.fire((redis) =>
          redis
            .multi()
            .lpush(key, ms)
            .ltrim(key, 0, DURATION_SAMPLES - 1)
            .exec(),
        );
        this.#link.wake("d", id, ms);
      }
      this.#durations.clear();
    }, DURATION_SHARE_MS);
  }

  async restoreClaim(claim: Claim): Promise<void> {
    const leaseId = claim.leaseId ?? randomBytes(12).toString("hex");
    const args: (string | number)[] = [];
    for (const j of claim.jobs) args.push(j.eventId, j.sessionHash, JSON.stringify(j));
    const o = this.#link.options;
    const n = (await this.#link.run(
      "usherRestore",
      leaseId,
      o.leaseMs,
      claim.poolId,
      claim.fnId,
      o.sessionTtlMs,
      ...args,
    )) as number;
    if (n > 0) this.#link.held.set(leaseId, claim.poolId);
  }

  async lostEvents(eventIds: readonly string[]): Promise<string[]> {
    if (eventIds.length === 0) return [];
    const results = await this.#link.call((redis) => {
      const p = redis.pipeline();
      for (const id of eventIds) p.exists(`${this.#link.prefix}job:${id}`);
      return p.exec();
    });
    return eventIds.filter((_, i) => results?.[i]?.[1] === 0);
  }

  async loadDurations(fnIds: readonly number[]): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    if (fnIds.length === 0) return out;
    const results = await this.#link.call((redis) => {
      const p = redis.pipeline();
      for (const id of fnIds) p.lrange(`${this.#link.prefix}dur:${id}`, 0, DURATION_SAMPLES - 1);
      return p.exec();
    });
    fnIds.forEach((id, i) => {
      const list = results?.[i]?.[1];
      if (Array.isArray(list) && list.length > 0) out.set(id, list.map(Number).reverse());
    });
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // files and state

  fileStore(root: string, allowedPaths: readonly string[]): FileStore {
    return new RedisFileStore(this.#link, root, allowedPaths);
  }

  sessionState(): SessionStateStore {
    return new RedisSessionState(this.#link);
  }

  sessionOwners(): SharedOwnerStore {
    return new RedisSessionOwners(this.#link);
  }

  #argsOf(request: ClaimRequest): (string | number)[] {
    let args = this.#claimArgs.get(request);
    if (args === undefined) {
      args = [request.poolLimits.size];
      for (const [pool, limit] of request.poolLimits) args.push(pool, limit === null ? "" : limit);
      args.push(request.batchSizes.size);
      for (const [fn, size] of request.batchSizes) args.push(fn, Math.max(1, size));
      this.#claimArgs.set(request, args);
    }
    return args;
  }
}

/**
 * A queue store on Redis, for `queue({ store: redisStore({ url, keyPrefix }) })`: every process
 * (front or worker) using the same URL and prefix shares one queue. See {@link RedisStoreOptions}.
 */
export function redisStore(options: RedisStoreOptions = {}): RedisStore {
  return new RedisStore(options);
}
