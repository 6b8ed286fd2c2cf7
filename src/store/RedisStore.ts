/**
 * The Redis {@link QueueStore}: one queue shared by every process (front or worker, on any
 * machine) that points at the same Redis with the same key prefix. The queue's order (fair share
 * across client keys, priority levels: docs/fair-queue.md), `maxSize`, `maxPerClient`, pool limits,
 * ranks and ETAs hold across all of them; a job whose process dies is retried or failed (leases); a
 * session's messages reach whichever front holds it.
 *
 * docs/redis-protocol.md is the protocol (keys, scripts, messages, versions) as a worker in another
 * language would follow it. In short: every atomic step is one Lua script (redisScripts.ts), and a
 * prediction costs the front that admits and runs it two of them: admission, which claims the job
 * at once when the pool is idle, and release, which carries the job's results and claims the next
 * job. Messages of a session held by the process that runs its events never touch Redis
 * (RedisSessionBus). Nothing polls: processes wake each other through pub/sub (`wake`, only when
 * another node listens) and send each other messages on per-node channels (`to:<node>`); the only
 * timers are the lease heartbeat (`leaseMs / 3`) and the reaper (about `leaseMs / 2`).
 */
import type { SharedOwnerStore } from "./OwnerStore.ts";
import { UsherError } from "../errors.ts";
import type { FileStore } from "./FileStore.ts";
import {
  clientKeyOf,
  FIFO_POLICY,
  TERMINAL_TYPES,
  type Claim,
  type ClaimRequest,
  type EnqueueResult,
  type QueuePolicy,
  type QueueStore,
  type StoreChange,
  type StoredJob,
} from "../queue/index.ts";
import { ClaimWakes } from "./ClaimWakes.ts";
import { RedisFileStore } from "./RedisFileStore.ts";
import { RedisCluster } from "./RedisCluster.ts";
import { RedisLink } from "./RedisLink.ts";
import { ReleasedHints } from "./ReleasedHints.ts";
import { pushReleaseArgs } from "./LocalFinal.ts";
import {
  admitted,
  newLease,
  orderArgs,
  parseClaim,
  pushAdmissionOrder,
  pushClaimArgs,
  type ParsedClaim,
} from "./redisClaims.ts";
import { ClaimLooks } from "./ClaimLooks.ts";
import { AdmittedJobs } from "./AdmittedJobs.ts";
import { resolveRedisStoreOptions, type RedisStoreOptions } from "./RedisStoreOptions.ts";
import { RedisSessionBus } from "./RedisSessionBus.ts";
import { RedisSessionOwners } from "./RedisSessionOwners.ts";
import { RedisSessionState } from "./RedisSessionState.ts";
import type { SessionStateStore } from "./SessionStateStore.ts";
import type { SessionBus, SharedQueueStore } from "./SharedQueueStore.ts";
import { listen } from "./listen.ts";

export type { RedisStoreOptions } from "./RedisStoreOptions.ts";

/** A store on Redis shared by every process with the same URL and key prefix. See the file comment. */
export class RedisStore implements SharedQueueStore {
  readonly shared = true;
  readonly cluster: RedisCluster;
  readonly bus: SessionBus;
  readonly #bus: RedisSessionBus;
  readonly #link: RedisLink;
  readonly #claimWakes: ClaimWakes;
  readonly #owners: RedisSessionOwners;
  readonly #wakeListeners = new Set<(change: StoreChange) => void>();
  /** Pools this node added to the `pools` set (once each; again after Redis lost its data). */
  readonly #pools = new Set<string>();
  /** What this node's last looks saw of the work it could claim (a round trip that would find none is skipped). */
  readonly #looks = new ClaimLooks();
  readonly #released = new ReleasedHints();
  /** Jobs admitted here, for the claims of them here (see AdmittedJobs). */
  readonly #admitted = new AdmittedJobs();
  readonly #takeAdmitted = (json: string): StoredJob | undefined => this.#admitted.take(json);
  #closed = false;
  #policy: QueuePolicy = FIFO_POLICY;

  constructor(options: RedisStoreOptions = {}) {
    this.#link = new RedisLink(resolveRedisStoreOptions(options));
    this.#claimWakes = new ClaimWakes(this.#link);
    this.#bus = new RedisSessionBus(this.#link);
    this.#bus.onShared((sessionHash) => this.#link.solo.drop(sessionHash));
    this.#owners = new RedisSessionOwners(this.#link);
    this.bus = this.#bus;
    this.cluster = new RedisCluster(this.#link, this.#bus, () => this.#policy);
    this.cluster.onLeft((ids) => {
      for (const id of ids) this.#admitted.forget(id);
    });
    this.#bus.onRanElsewhere((event) => {
      if (TERMINAL_TYPES.has(event.type)) this.#released.endedElsewhere(event.eventId);
    });
    this.#link.onWake((from, kind, args) => {
      if (from === this.#link.nodeId) return;
      if (kind === "d") {
        this.cluster.heardDuration(Number(args[0]), Number(args[1]));
        return;
      }
      if (kind === "h" || kind === "s") {
        // A session held solo here that another node touched: held with it now. Its hash is the rest
        // of the word, spaces and all (a client picks it; the word splits at every space).
        const shared = this.#link.solo.heard(kind, kind === "s" ? args.join(" ") : args[0]);
        if (shared !== null) this.#bus.share(shared);
        return;
      }
      // A join or a release may make work claimable; a claim or a removal only moves ranks.
      const change: StoreChange = kind === "j" || kind === "r" ? "work" : "ranks";
      if (change === "work") this.#looks.workMade();
      for (const l of this.#wakeListeners) l(change);
    });
    this.#link.onReconnect((lostData) => {
      this.#looks.forget();
      // Redis may be back from an older snapshot: what this node knew of its data is a guess now.
      this.#link.solo.clear();
      this.#released.clear();
      if (lostData) {
        this.#pools.clear();
        this.#admitted.clear();
      }
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

  /** The order (fair share, levels) and the per-client limit; every node of a queue must use the same. */
  usePolicy(policy: QueuePolicy): void {
    this.#policy = policy;
  }

  async enqueue(job: StoredJob, maxSize: number | null, claim?: ClaimRequest): Promise<EnqueueResult> {
    const o = this.#link.options;
    const policy = this.#policy;
    const newPool = !this.#pools.has(job.poolId);
    const lease = newLease();
    const mark = this.#looks.mark();
    const forgets = this.#bus.forgets.take();
    // A session's first join here records its owner in this same step (see RedisSessionOwners).
    const owner = this.#owners.takePending(job.sessionHash);
    // May claim (with a claim request): its `c` wake-up may wait for the window (ClaimWakes).
    const wakeFlag = this.#claimWakes.flag(claim !== undefined);
    const key = clientKeyOf(job);
    const json = JSON.stringify(job);
    const quiet = this.#link.quiet.on;
    // Kept before it is sent: a claim of it may come back in a reply read before this one's.
    this.#admitted.add(job, json);
    const args: (string | number)[] = [
      job.eventId,
      job.sessionHash,
      job.fnId,
      job.poolId,
      json,
      maxSize === null ? "" : maxSize,
      o.sessionTtlMs,
      wakeFlag,
      owner?.value ?? "",
      this.#owners.ttlMs,
      newPool ? "1" : "0",
    ];
    pushAdmissionOrder(args, job, key, policy, this.#released);
    args.push(this.#link.solo.has(job.sessionHash) ? "1" : "0", this.#pools.size - (newPool ? 0 : 1));
    for (const p of this.#pools) if (p !== job.poolId) args.push(p);
    args.push(forgets.length / 2);
    for (const f of forgets) args.push(f);
    pushClaimArgs(args, claim, lease, o.leaseMs, policy, this.#link.redisTime.nowMs(), quiet);
    const r = (await this.#link.runArgs("usherEnqueue", args).catch((err: unknown) => {
      this.#admitted.forget(job.eventId);
      this.#bus.forgets.giveBack(forgets);
      owner?.dropped();
      throw err;
    })) as [number, number | string, number?, number?, (string | number)[]?, unknown?, number?, number?, number?];
    this.#bus.forgets.confirm(forgets);
    const [status, a, b = 0, c = 0, flat = [], claimed, saw = 1, known = 0, fast = 0] = r;
    if (status !== 1) this.#admitted.forget(job.eventId);
    if (status === -2) {
      // The session has an owner already: judged (a refusal throws), then admitted the usual way.
      owner?.refused(String(a));
      return this.enqueue(job, maxSize, claim);
    }
    if (status === 0) owner?.dropped();
    else owner?.recorded();
    if (status === 1 && owner !== undefined) this.#link.solo.recorded(job.sessionHash);
    if (status === -1) throw new UsherError("BAD_REQUEST", `Event ${job.eventId} is already in the queue.`);
    if (status !== 1) {
      return { accepted: false, reason: status === -3 ? "client_limit" : "queue_full", totalSize: Number(a) };
    }
    this.#pools.add(job.poolId);
    this.#bus.admitted(job.eventId);
    if (policy.fairness) this.#released.admitted(job.eventId, key, fast === 1);
    // Another node has events of this session, holds it or logged some of it: its log is the truth.
    if (known === 1) this.#bus.share(job.sessionHash);
    // Not looked (no thread here): this event waits, work for later.
    const mine = (j: string): StoredJob | undefined => this.#admitted.take(j) ?? (j === json ? job : undefined);
    const parsed = this.#took(parseClaim(claimed, lease, mine), claim === undefined, saw === 1, mark, wakeFlag, quiet);
    return admitted(Number(a), b, c, flat, parsed);
  }

  async claim(request: ClaimRequest): Promise<Claim | null> {
    // The last look found nothing to claim and nothing changed since: no need to ask Redis.
    if (!this.#looks.claimable) return null;
    const lease = newLease();
    const mark = this.#looks.mark();
    const wakeFlag = this.#claimWakes.flag();
    const quiet = this.#link.quiet.on;
    const args: (string | number)[] = [wakeFlag];
    pushClaimArgs(args, request, lease, this.#link.options.leaseMs, this.#policy, this.#link.redisTime.nowMs(), quiet);
    const [r, saw] = (await this.#link.runArgs("usherClaim", args)) as [unknown, number];
    return this.#took(parseClaim(r, lease, this.#takeAdmitted), false, saw === 1, mark, wakeFlag, quiet);
  }

  async release(poolId: string, claim?: Claim, next?: ClaimRequest): Promise<Claim | null> {
    let leaseId = claim?.leaseId;
    if (leaseId === undefined) {
      // No claim given: free one lease of this pool held here (the oldest).
      for (const [id, held] of this.#link.held) {
        if (held.poolId === poolId) {
          leaseId = id;
          break;
        }
      }
    }
    const held = leaseId === undefined ? undefined : this.#link.held.get(leaseId);
    if (leaseId === undefined || held === undefined) return null;
    this.#link.held.delete(leaseId);
    const at = leaseId.lastIndexOf("|");
    const finals = this.#bus.takeFinals(held.eventIds);
    const o = this.#link.options;
    const lease = newLease();
    const mark = this.#looks.mark();
    // Nothing waits anywhere (as of the last look and every wake-up since): no claim to try.
    const ask = this.#looks.mayWait ? next : undefined;
    const forgets = this.#bus.forgets.take();
    let r: [number, (string | number)[], unknown, number];
    const wakeFlag = this.#claimWakes.flag(ask !== undefined);
    const quiet = this.#link.quiet.on;
    try {
      const args: (string | number)[] = [
        leaseId.slice(0, at),
        leaseId.slice(at + 1),
        poolId,
        o.sessionTtlMs,
        o.sessionMaxMessages,
        wakeFlag,
        held.eventIds.length,
      ];
      for (const id of held.eventIds) args.push(id);
      this.#pushCountedKeys(args, held.clientKeys);
      pushReleaseArgs(args, finals);
      args.push(forgets.length / 2);
      for (const f of forgets) args.push(f);
      pushClaimArgs(args, ask, lease, o.leaseMs, this.#policy, this.#link.redisTime.nowMs(), quiet);
      r = (await this.#link.runArgs("usherRelease", args)) as [number, (string | number)[], unknown, number];
    } catch (err) {
      // The finals still have to end their events in Redis: they wait in the bus's outbox.
      this.#bus.unreleased(finals);
      this.#bus.forgets.giveBack(forgets);
      throw err;
    }
    this.#bus.forgets.confirm(forgets);
    this.#bus.released(finals, r[1]);
    if (r[0] === 1 && this.#policy.fairness) this.#released.note(held);
    // Not looked: the freed slot makes claimable what may wait (behind a full pool).
    if (ask === undefined) return this.#took(null, this.#looks.mayWait, this.#looks.mayWait, mark);
    return this.#took(parseClaim(r[2], lease, this.#takeAdmitted), false, r[3] === 1, mark, wakeFlag, quiet);
  }

  /**
   * Records what a script claimed for this node (its lease, its events' origins) and what it saw
   * (see {@link ClaimLooks.looked}).
   */
  #took(
    parsed: ParsedClaim | null,
    claimable: boolean,
    mayWait: boolean,
    mark: number,
    wakeFlag = "0",
    quiet = false,
  ): Claim | null {
    if (parsed !== null) this.#claimWakes.claimed(wakeFlag, parsed.claim.poolId);
    this.#looks.looked(parsed !== null, claimable, mayWait, mark);
    if (parsed === null) return null;
    const { claim, origins } = parsed;
    const ids = claim.jobs.map((j) => j.eventId);
    this.#link.held.set(claim.leaseId as string, {
      poolId: claim.poolId,
      sessionHash: claim.jobs[0]?.sessionHash ?? "",
      eventIds: ids,
      clientKeys: claim.jobs.map(clientKeyOf),
    });
    this.#bus.running(ids, origins);
    // Made quiet: the starts of other origins' jobs are this node's to tell, if their results do not.
    if (quiet) this.#link.quiet.claimed(ids, origins);
    return claim;
  }

  /** Appends the release's client keys to count down (maxPerClient): n, key... */
  #pushCountedKeys(out: (string | number)[], keys: readonly string[] | undefined): void {
    if (this.#policy.maxPerClient === null || keys === undefined) {
      out.push(0);
      return;
    }
    out.push(keys.length);
    for (const k of keys) out.push(k);
  }

  async remove(eventId: string): Promise<StoredJob | null> {
    const r = (await this.#link.run("usherRemove", eventId)) as [string, string] | null;
    if (r === null) return null;
    this.#admitted.forget(eventId);
    this.#bus.removed(eventId, r[1]);
    return JSON.parse(r[0]) as StoredJob;
  }

  async removeSession(sessionHash: string): Promise<StoredJob[]> {
    const list = (await this.#link.run("usherRemoveSession", sessionHash)) as string[];
    const jobs = list.map((j) => JSON.parse(j) as StoredJob);
    for (const job of jobs) this.#admitted.forget(job.eventId);
    return jobs;
  }

  async waiting(poolId: string): Promise<readonly StoredJob[]> {
    const list = (await this.#link.run("usherWaiting", poolId, ...orderArgs(this.#policy))) as string[];
    return list.map((j) => JSON.parse(j) as StoredJob);
  }

  async rank(eventId: string): Promise<{ rank: number; poolSize: number } | null> {
    const r = (await this.#link.run("usherRank", eventId, ...orderArgs(this.#policy))) as [number, number] | null;
    return r === null ? null : { rank: r[0], poolSize: r[1] };
  }

  async size(): Promise<number> {
    let n = 0;
    for (const size of (await this.poolSizes()).values()) n += size;
    return n;
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
    return listen(this.#wakeListeners, listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.cluster.close();
    this.#bus.close();
    this.#claimWakes.close();
    await this.#link.close();
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
    return this.#owners;
  }
}

/**
 * A queue store on Redis, for `queue({ store: redisStore({ url, keyPrefix }) })`: every process
 * (front or worker) using the same URL and prefix shares one queue. See {@link RedisStoreOptions}.
 */
export function redisStore(options: RedisStoreOptions = {}): RedisStore {
  return new RedisStore(options);
}
