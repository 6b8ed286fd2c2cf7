/**
 * The in-memory {@link QueueStore}: the default, and the fastest path (one process, no I/O).
 *
 * Layout: per pool, one FIFO per function (events of a function always sit in admission order
 * inside their pool), plus a map eventId → entry. The pool's head is the FIFO head with the lowest
 * admission sequence; a pool has few functions, so finding it is a handful of comparisons.
 * Removal by id marks the entry dead (a tombstone) and the FIFO skips it later, so every operation
 * on the dispatch path is O(1) amortised. Order uses a monotonically increasing admission
 * sequence, never clock time (two events can share a millisecond).
 */
import { UsherError } from "../errors.ts";
import type {
  Claim,
  ClaimRequest,
  EnqueueResult,
  ImmediateQueueStore,
  StoreChange,
  StoredJob,
} from "../queue/index.ts";

/** One waiting event. `dead` once claimed or removed (the FIFO drops it when it reaches the head). */
interface Entry {
  readonly job: StoredJob;
  readonly seq: number;
  readonly fifo: FnFifo;
  dead: boolean;
  /** Neighbours in the entry's session list (for removeSession without a scan). */
  prevInSession: Entry | null;
  nextInSession: Entry | null;
}

/** A session's waiting events, admission order, as an intrusive doubly linked list. */
interface SessionList {
  first: Entry | null;
  last: Entry | null;
}

/** Compact a FIFO's array once this many dead slots pile up (and they outnumber live ones). */
const COMPACT_MIN_DEAD = 1024;

/** Waiting events of one function in one pool, oldest first. Dead entries are skipped lazily. */
class FnFifo {
  readonly fnId: number;
  readonly pool: Pool;
  #items: Entry[] = [];
  #head = 0;
  /** Live entries (not dead). */
  live = 0;

  constructor(fnId: number, pool: Pool) {
    this.fnId = fnId;
    this.pool = pool;
  }

  push(entry: Entry): void {
    this.#items.push(entry);
    this.live++;
  }

  /** The oldest live entry, dropping dead ones in front of it. */
  peek(): Entry | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const e = items[this.#head];
      if (e !== undefined && !e.dead) {
        // A queue that never empties (a busy pool) would keep every claimed entry, and its job,
        // in front of the head: drop that prefix once it is most of the array.
        if (this.#head >= COMPACT_MIN_DEAD && this.#head * 2 >= items.length) {
          this.#items = items.slice(this.#head);
          this.#head = 0;
        }
        return e;
      }
      this.#head++;
    }
    // Empty: reset so the array does not keep growing.
    if (this.#head > 0) {
      this.#items = [];
      this.#head = 0;
    }
    return undefined;
  }

  /** Marks a live entry dead (it stays in the array until it reaches the head or a compaction). */
  kill(entry: Entry): void {
    entry.dead = true;
    this.live--;
    const dead = this.#items.length - this.#head - this.live;
    // A long queue whose head does not move (pool busy) while users come and go would otherwise
    // keep every tombstone; compacting when dead ones dominate keeps removal O(1) amortised.
    if (dead >= COMPACT_MIN_DEAD && dead > this.live) {
      this.#items = this.#items.filter((e, i) => i >= this.#head && !e.dead);
      this.#head = 0;
    }
  }

  /** Calls `visit` on each live entry in order with its index among them. */
  forEachLive(visit: (entry: Entry, index: number) => void): void {
    const items = this.#items;
    let n = 0;
    for (let i = this.#head; i < items.length; i++) {
      const e = items[i];
      if (e !== undefined && !e.dead) visit(e, n++);
    }
  }

  /** Live entries in order. */
  *entries(): IterableIterator<Entry> {
    for (let i = this.#head; i < this.#items.length; i++) {
      const e = this.#items[i];
      if (e !== undefined && !e.dead) yield e;
    }
  }
}

/** One pool: its function FIFOs and its running slot count. */
class Pool {
  readonly id: string;
  running = 0;
  /** Waiting events in the pool. */
  size = 0;
  readonly fifos = new Map<number, FnFifo>();

  constructor(id: string) {
    this.id = id;
  }

  fifo(fnId: number): FnFifo {
    let f = this.fifos.get(fnId);
    if (f === undefined) {
      f = new FnFifo(fnId, this);
      this.fifos.set(fnId, f);
    }
    return f;
  }

  /** The pool's oldest waiting entry: the FIFO head with the lowest sequence. */
  head(): Entry | undefined {
    let best: Entry | undefined;
    for (const f of this.fifos.values()) {
      if (f.live === 0) continue;
      const e = f.peek();
      if (e !== undefined && (best === undefined || e.seq < best.seq)) best = e;
    }
    return best;
  }
}

/** In-process {@link QueueStore}. See the file comment for its layout and costs. */
export class MemoryStore implements ImmediateQueueStore {
  readonly answersInCall: boolean = true;
  #seq = 0;
  #total = 0;
  readonly #pools = new Map<string, Pool>();
  readonly #byEvent = new Map<string, Entry>();
  readonly #bySession = new Map<string, SessionList>();

  async enqueue(job: StoredJob, maxSize: number | null): Promise<EnqueueResult> {
    return this.enqueueNow(job, maxSize);
  }

  enqueueNow(job: StoredJob, maxSize: number | null): EnqueueResult {
    if (maxSize !== null && this.#total >= maxSize) return { accepted: false, totalSize: this.#total };
    if (this.#byEvent.has(job.eventId)) {
      throw new UsherError("BAD_REQUEST", `Event ${job.eventId} is already waiting.`);
    }
    const pool = this.#pool(job.poolId);
    const fifo = pool.fifo(job.fnId);
    const entry: Entry = { job, seq: this.#seq++, fifo, dead: false, prevInSession: null, nextInSession: null };
    fifo.push(entry);
    this.#byEvent.set(job.eventId, entry);
    this.#linkSession(entry);
    const rank = pool.size;
    pool.size++;
    this.#total++;
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
      if (head !== undefined && (best === undefined || head.seq < best.seq)) best = head;
    }
    if (best === undefined) return null;
    const fifo = best.fifo;
    const pool = fifo.pool;
    const max = Math.max(1, request.batchSizes.get(fifo.fnId) ?? 1);
    const jobs: StoredJob[] = [];
    // The same-function FIFO holds exactly "the next waiting events of the same function in the
    // same pool, in order", so a batch never looks at other functions' events.
    for (let e = fifo.peek(); e !== undefined && jobs.length < max; e = fifo.peek()) {
      jobs.push(e.job);
      this.#drop(e);
    }
    pool.running++;
    return { poolId: pool.id, fnId: fifo.fnId, jobs };
  }

  async release(poolId: string): Promise<void> {
    this.releaseNow(poolId);
  }

  releaseNow(poolId: string): void {
    const pool = this.#pools.get(poolId);
    if (pool !== undefined && pool.running > 0) pool.running--;
  }

  async remove(eventId: string): Promise<StoredJob | null> {
    const e = this.#byEvent.get(eventId);
    if (e === undefined) return null;
    this.#drop(e);
    return e.job;
  }

  async removeSession(sessionHash: string): Promise<StoredJob[]> {
    const list = this.#bySession.get(sessionHash);
    if (list === undefined) return [];
    const out: StoredJob[] = [];
    for (let e = list.first; e !== null; ) {
      const next = e.nextInSession;
      out.push(e.job);
      this.#drop(e);
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
    let single: FnFifo | undefined;
    let live = 0;
    for (const f of pool.fifos.values()) {
      if (f.live === 0) continue;
      single = f;
      live++;
    }
    if (live === 1 && single !== undefined) {
      // One function waiting (the usual pool): its FIFO is the pool's order.
      single.forEachLive((e, i) => visit(e.job, i, size));
      return;
    }
    // k-way merge of the function FIFOs by sequence; k (functions per pool) is small.
    const its: IterableIterator<Entry>[] = [];
    const heads: (Entry | undefined)[] = [];
    for (const f of pool.fifos.values()) {
      if (f.live === 0) continue;
      const it = f.entries();
      its.push(it);
      heads.push(it.next().value as Entry | undefined);
    }
    for (let n = 0; ; n++) {
      let bi = -1;
      let best: Entry | undefined;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== undefined && (best === undefined || h.seq < best.seq)) {
          best = h;
          bi = i;
        }
      }
      if (best === undefined) break;
      visit(best.job, n, size);
      heads[bi] = its[bi]?.next().value as Entry | undefined;
    }
  }

  async rank(eventId: string): Promise<{ rank: number; poolSize: number } | null> {
    const e = this.#byEvent.get(eventId);
    if (e === undefined) return null;
    const pool = e.fifo.pool;
    let rank = 0;
    for (const f of pool.fifos.values()) {
      // Each FIFO is sorted by sequence, so stop at the first entry not ahead of this one.
      for (const other of f.entries()) {
        if (other.seq >= e.seq) break;
        rank++;
      }
    }
    return { rank, poolSize: pool.size };
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
    this.#total = 0;
  }

  #pool(poolId: string): Pool {
    let p = this.#pools.get(poolId);
    if (p === undefined) {
      p = new Pool(poolId);
      this.#pools.set(poolId, p);
    }
    return p;
  }

  /** Takes a live entry out of every index (claimed or removed). */
  #drop(e: Entry): void {
    e.fifo.kill(e);
    e.fifo.pool.size--;
    this.#total--;
    this.#byEvent.delete(e.job.eventId);
    this.#unlinkSession(e);
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
