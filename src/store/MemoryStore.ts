/**
 * The in-memory {@link QueueStore}: the default, and the fastest path (one process, no I/O).
 *
 * Layout: per pool ({@link FairPool}), one {@link FairLevel} per priority, each a ring of client
 * keys with their waiting events (round robin, docs/fair-queue.md; with fairness off, one lane per
 * event: admission order), plus a map eventId → entry and one list of waiting events per session.
 * Claims, admissions of a new key and removals are O(1) (a key's k-th event: O(keys)); ranks and
 * status rounds walk the pool once.
 */
import { UsherError } from "../errors.ts";
import {
  agedAtMs,
  clientKeyOf,
  FIFO_POLICY,
  type Claim,
  type ClaimRequest,
  type EnqueueResult,
  type ImmediateQueueStore,
  type QueuePolicy,
  type StoreChange,
  type StoredJob,
} from "../queue/index.ts";
import type { Entry } from "./FairLevel.ts";
import { before, FairPool } from "./FairPool.ts";

/** A session's waiting events, admission order, as an intrusive doubly linked list. */
interface SessionList {
  first: Entry | null;
  last: Entry | null;
}

/** In-process {@link QueueStore}. See the file comment for its layout and costs. */
export class MemoryStore implements ImmediateQueueStore {
  readonly answersInCall: boolean = true;
  #seq = 0;
  #total = 0;
  #policy: QueuePolicy = FIFO_POLICY;
  readonly #pools = new Map<string, FairPool>();
  readonly #byEvent = new Map<string, Entry>();
  readonly #bySession = new Map<string, SessionList>();
  /** Events waiting or running per client key; kept only when the policy has a `maxPerClient`. */
  readonly #perClient = new Map<string, number>();

  usePolicy(policy: QueuePolicy): void {
    this.#policy = policy;
  }

  async enqueue(job: StoredJob, maxSize: number | null): Promise<EnqueueResult> {
    return this.enqueueNow(job, maxSize);
  }

  enqueueNow(job: StoredJob, maxSize: number | null): EnqueueResult {
    if (maxSize !== null && this.#total >= maxSize) {
      return { accepted: false, reason: "queue_full", totalSize: this.#total };
    }
    if (this.#byEvent.has(job.eventId)) {
      throw new UsherError("BAD_REQUEST", `Event ${job.eventId} is already waiting.`);
    }
    const policy = this.#policy;
    const key = clientKeyOf(job);
    if (policy.maxPerClient !== null) {
      const n = this.#perClient.get(key) ?? 0;
      if (n >= policy.maxPerClient) return { accepted: false, reason: "client_limit", totalSize: this.#total };
      this.#perClient.set(key, n + 1);
    }
    const pool = this.#pool(job.poolId);
    const level = pool.level(job.priority ?? 0);
    const entry: Entry = {
      job,
      seq: this.#seq++,
      agedAtMs: agedAtMs(job, policy),
      level,
      lane: null,
      prevInSession: null,
      nextInSession: null,
    };
    // With fairness off every event is its own lane: the ring is the admission order.
    let rank = level.push(entry, policy.fairness ? key : null);
    this.#byEvent.set(job.eventId, entry);
    this.#linkSession(entry);
    pool.size++;
    this.#total++;
    if (pool.merged) rank = pool.rankOf(entry);
    return { accepted: true, rank, poolSize: pool.size, totalSize: this.#total };
  }

  async claim(request: ClaimRequest): Promise<Claim | null> {
    return this.claimNow(request);
  }

  claimNow(request: ClaimRequest): Claim | null {
    let best: Entry | undefined;
    for (const pool of this.#pools.values()) {
      if (pool.size === 0) continue;
      const limit = request.poolLimits.get(pool.id);
      if (limit === undefined || (limit !== null && pool.running >= limit)) continue;
      const head = pool.head();
      if (head !== undefined && (best === undefined || before(head, best))) best = head;
    }
    if (best === undefined) return null;
    const fnId = best.job.fnId;
    const level = best.level;
    const pool = level.pool;
    const max = request.batchSizes.get(fnId) ?? 1;
    level.take(best);
    this.#forget(best, pool);
    const jobs: StoredJob[] = [best.job];
    if (max > 1) {
      // The following events of the same function and level, in the level's order (serving a
      // lane keeps the order of the others, so the walk after taking the head is the one before).
      const more: Entry[] = [];
      level.walk((e) => {
        if (e.job.fnId === fnId) more.push(e);
        return jobs.length + more.length < max;
      });
      for (const e of more) {
        jobs.push(e.job);
        level.take(e);
        this.#forget(e, pool);
      }
    }
    pool.dropIfEmpty(level);
    pool.running++;
    return { poolId: pool.id, fnId, jobs };
  }

  async release(poolId: string, claim?: Claim): Promise<void> {
    this.releaseNow(poolId, claim);
  }

  releaseNow(poolId: string, claim?: Claim): void {
    const pool = this.#pools.get(poolId);
    if (pool !== undefined && pool.running > 0) pool.running--;
    if (claim !== undefined && this.#policy.maxPerClient !== null) for (const j of claim.jobs) this.#leftClient(j);
  }

  async remove(eventId: string): Promise<StoredJob | null> {
    return this.removeNow(eventId);
  }

  removeNow(eventId: string): StoredJob | null {
    const e = this.#byEvent.get(eventId);
    if (e === undefined) return null;
    this.#removeEntry(e);
    return e.job;
  }

  async removeSession(sessionHash: string): Promise<StoredJob[]> {
    const list = this.#bySession.get(sessionHash);
    if (list === undefined) return [];
    const out: StoredJob[] = [];
    for (let e = list.first; e !== null; ) {
      const next = e.nextInSession;
      out.push(e.job);
      this.#removeEntry(e);
      e = next;
    }
    return out;
  }

  async waiting(poolId: string): Promise<readonly StoredJob[]> {
    const pool = this.#pools.get(poolId);
    const out: StoredJob[] = new Array<StoredJob>(pool?.size ?? 0);
    let n = 0;
    this.forEachWaiting(poolId, (job) => {
      out[n++] = job;
    });
    out.length = n;
    return out;
  }

  forEachWaiting(poolId: string, visit: (job: StoredJob, index: number, size: number) => void): void {
    const pool = this.#pools.get(poolId);
    if (pool === undefined || pool.size === 0) return;
    const size = pool.size;
    let n = 0;
    pool.walk((e) => {
      visit(e.job, n++, size);
    });
  }

  async rank(eventId: string): Promise<{ rank: number; poolSize: number } | null> {
    const e = this.#byEvent.get(eventId);
    if (e === undefined) return null;
    const pool = e.level.pool;
    return { rank: pool.rankOf(e), poolSize: pool.size };
  }

  async size(): Promise<number> {
    return this.#total;
  }

  async poolSizes(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const p of this.#pools.values()) if (p.size > 0) out.set(p.id, p.size);
    return out;
  }

  async running(poolId: string): Promise<number> {
    return this.#pools.get(poolId)?.running ?? 0;
  }

  /** One process owns this store, so nothing ever happens behind its back: the listener is never called. */
  subscribe(_listener: (change: StoreChange) => void): () => void {
    return noop;
  }

  async close(): Promise<void> {
    this.#pools.clear();
    this.#byEvent.clear();
    this.#bySession.clear();
    this.#perClient.clear();
    this.#total = 0;
  }

  #pool(poolId: string): FairPool {
    let p = this.#pools.get(poolId);
    if (p === undefined) {
      p = new FairPool(poolId);
      this.#pools.set(poolId, p);
    }
    return p;
  }

  /** Takes a waiting event out (removed, not claimed): it leaves its client's count too. */
  #removeEntry(e: Entry): void {
    const pool = e.level.pool;
    e.level.remove(e);
    pool.dropIfEmpty(e.level);
    this.#forget(e, pool);
    if (this.#policy.maxPerClient !== null) this.#leftClient(e.job);
  }

  /** Takes an entry out of the indexes (its level already let it go). */
  #forget(e: Entry, pool: FairPool): void {
    pool.size--;
    this.#total--;
    this.#byEvent.delete(e.job.eventId);
    this.#unlinkSession(e);
  }

  #leftClient(job: StoredJob): void {
    const key = clientKeyOf(job);
    const n = this.#perClient.get(key);
    if (n === undefined) return;
    if (n <= 1) this.#perClient.delete(key);
    else this.#perClient.set(key, n - 1);
  }

  #linkSession(e: Entry): void {
    const list = this.#bySession.get(e.job.sessionHash);
    if (list === undefined) {
      this.#bySession.set(e.job.sessionHash, { first: e, last: e });
      return;
    }
    e.prevInSession = list.last;
    if (list.last !== null) list.last.nextInSession = e;
    list.last = e;
    if (list.first === null) list.first = e;
  }

  #unlinkSession(e: Entry): void {
    const list = this.#bySession.get(e.job.sessionHash);
    if (list === undefined) return;
    if (e.prevInSession !== null) e.prevInSession.nextInSession = e.nextInSession;
    else list.first = e.nextInSession;
    if (e.nextInSession !== null) e.nextInSession.prevInSession = e.prevInSession;
    else list.last = e.prevInSession;
    e.prevInSession = null;
    e.nextInSession = null;
    if (list.first === null) this.#bySession.delete(e.job.sessionHash);
  }
}

function noop(): void {}
