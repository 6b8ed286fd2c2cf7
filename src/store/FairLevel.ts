/**
 * One priority level of one pool in the in-memory store: deficit round robin over client keys,
 * one event per turn (docs/fair-queue.md). The keys with waiting events form a ring (a doubly
 * linked list of lanes); a claim serves the first lane's oldest event and moves that lane to the
 * ring's end; a key that gets its first waiting event is appended at the end. With fairness off
 * every event is its own lane, and the ring is the admission order.
 *
 * The order a claim will take, with no new arrival (what ranks and ETAs are walked over), is
 * "every lane's 1st event in ring order, then every lane's 2nd, …": serving a lane keeps that
 * order, so one walk gives every rank.
 */
import type { StoredJob } from "../queue/index.ts";
import type { FairPool } from "./FairPool.ts";

/** One waiting event, as the in-memory store keeps it. */
export interface Entry {
  readonly job: StoredJob;
  /** Admission order in the store. */
  readonly seq: number;
  /** The admission time it competes with across levels (see `agedAtMs`). */
  readonly agedAtMs: number;
  readonly level: FairLevel;
  lane: Lane | null;
  /** Neighbours in the entry's session list (for removeSession without a scan). */
  prevInSession: Entry | null;
  nextInSession: Entry | null;
}

/**
 * A client key's waiting events in one level, oldest first, and its place in the ring. Most lanes
 * hold one event (a one-shot visitor; every event with fairness off): the array is made only for a
 * second one.
 */
export class Lane {
  /** The client key; null for a lane of one event with fairness off (not in the key map). */
  readonly key: string | null;
  #first: Entry | undefined;
  /** The events after the first, from `#restHead` on. */
  #rest: Entry[] | null = null;
  #restHead = 0;
  prev: Lane | null = null;
  next: Lane | null = null;

  constructor(key: string | null, first: Entry) {
    this.key = key;
    this.#first = first;
  }

  get length(): number {
    if (this.#first === undefined) return 0;
    return this.#rest === null ? 1 : 1 + this.#rest.length - this.#restHead;
  }

  first(): Entry | undefined {
    return this.#first;
  }

  /** The k-th waiting event (0: the first). */
  at(k: number): Entry | undefined {
    return k === 0 ? this.#first : this.#rest?.[this.#restHead + k - 1];
  }

  push(e: Entry): void {
    if (this.#first === undefined) this.#first = e;
    else if (this.#rest === null) this.#rest = [e];
    else this.#rest.push(e);
  }

  /** Takes `e` out; true when it was the first (the lane was served). */
  remove(e: Entry): boolean {
    if (this.#first === e) {
      const rest = this.#rest;
      if (rest === null || this.#restHead >= rest.length) {
        this.#first = undefined;
        this.#rest = null;
        this.#restHead = 0;
        return true;
      }
      this.#first = rest[this.#restHead];
      rest[this.#restHead++] = undefined as unknown as Entry;
      if (this.#restHead === rest.length) {
        this.#rest = null;
        this.#restHead = 0;
      } else if (this.#restHead >= 64 && this.#restHead * 2 >= rest.length) {
        this.#rest = rest.slice(this.#restHead);
        this.#restHead = 0;
      }
      return true;
    }
    const rest = this.#rest;
    if (rest === null) return false;
    const i = rest.indexOf(e, this.#restHead);
    if (i >= 0) rest.splice(i, 1);
    return false;
  }
}

/** One priority level of a pool. See the file comment. */
export class FairLevel {
  readonly pool: FairPool;
  readonly priority: number;
  /** Waiting events in the level. */
  size = 0;
  readonly #lanes = new Map<string, Lane>();
  #first: Lane | null = null;
  #last: Lane | null = null;

  constructor(pool: FairPool, priority: number) {
    this.pool = pool;
    this.priority = priority;
  }

  /** Lanes in the ring. */
  laneCount = 0;

  /** The event a claim of this level takes next. */
  head(): Entry | undefined {
    return this.#first?.first();
  }

  /**
   * Adds `e` under `key` (null: a lane of its own, fairness off) and returns how many of the
   * level's events come before it: at the ring's end for a new key (O(1)); as its key's k-th
   * event otherwise (O(keys)).
   */
  push(e: Entry, key: string | null): number {
    this.size++;
    const lane = key === null ? undefined : this.#lanes.get(key);
    if (lane === undefined) {
      const fresh = new Lane(key, e);
      e.lane = fresh;
      if (key !== null) this.#lanes.set(key, fresh);
      this.#append(fresh);
      // Every other lane's first event comes before it.
      return this.laneCount - 1;
    }
    e.lane = lane;
    lane.push(e);
    const k = lane.length;
    // Every lane's first k-1 events come first, then the k-th events of the lanes before this one.
    let rank = 0;
    let before = true;
    for (let l = this.#first; l !== null; l = l.next) {
      if (l === lane) {
        before = false;
        rank += k - 1;
        continue;
      }
      const n = l.length;
      rank += Math.min(n, k - 1) + (before && n >= k ? 1 : 0);
    }
    return rank;
  }

  /** Takes a claimed event out: its lane was served, so it moves to the ring's end. */
  take(e: Entry): void {
    this.#out(e, true);
  }

  /** Takes a removed (cancelled) event out: its lane keeps its place. */
  remove(e: Entry): void {
    this.#out(e, false);
  }

  /** Calls `visit` on each event in the order claims will take them. Stops when it returns false. */
  walk(visit: (e: Entry) => boolean | void): void {
    const lanes: Lane[] = [];
    for (let l = this.#first; l !== null; l = l.next) {
      // A lane of one event (every one-shot visitor, and every event with fairness off) ends here.
      const e = l.first();
      if (e !== undefined && visit(e) === false) return;
      if (l.length > 1) lanes.push(l);
    }
    for (let k = 1; lanes.length > 0; k++) {
      let kept = 0;
      for (const l of lanes) {
        const e = l.at(k);
        if (e === undefined) continue;
        if (visit(e) === false) return;
        if (l.length > k + 1) lanes[kept++] = l;
      }
      lanes.length = kept;
    }
  }

  #out(e: Entry, served: boolean): void {
    const lane = e.lane;
    if (lane === null) return;
    e.lane = null;
    this.size--;
    const wasFirst = lane.remove(e);
    if (lane.length === 0) {
      this.#unlink(lane);
      if (lane.key !== null) this.#lanes.delete(lane.key);
    } else if (served && wasFirst && lane !== this.#last) {
      this.#unlink(lane);
      this.#append(lane);
    }
  }

  #append(lane: Lane): void {
    this.laneCount++;
    lane.prev = this.#last;
    lane.next = null;
    if (this.#last !== null) this.#last.next = lane;
    else this.#first = lane;
    this.#last = lane;
  }

  #unlink(lane: Lane): void {
    this.laneCount--;
    if (lane.prev !== null) lane.prev.next = lane.next;
    else this.#first = lane.next;
    if (lane.next !== null) lane.next.prev = lane.prev;
    else this.#last = lane.prev;
    lane.prev = null;
    lane.next = null;
  }
}
