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

/** A client key's waiting events in one level, oldest first, and its place in the ring. */
export class Lane {
  readonly key: string;
  #items: Entry[];
  #head = 0;
  prev: Lane | null = null;
  next: Lane | null = null;

  constructor(key: string, first: Entry) {
    this.key = key;
    this.#items = [first];
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  first(): Entry | undefined {
    return this.#items[this.#head];
  }

  /** The k-th waiting event (0: the first). */
  at(k: number): Entry | undefined {
    return this.#items[this.#head + k];
  }

  push(e: Entry): void {
    this.#items.push(e);
  }

  /** Takes `e` out; true when it was the first (the lane was served). */
  remove(e: Entry): boolean {
    if (this.#items[this.#head] === e) {
      this.#items[this.#head] = undefined as unknown as Entry;
      this.#head++;
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      } else if (this.#head >= 64 && this.#head * 2 >= this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return true;
    }
    const i = this.#items.indexOf(e, this.#head);
    if (i >= 0) this.#items.splice(i, 1);
    return false;
  }
}

/** One priority level of a pool. See the file comment. */
export class FairLevel {
  readonly priority: number;
  /** Waiting events in the level. */
  size = 0;
  readonly #lanes = new Map<string, Lane>();
  #first: Lane | null = null;
  #last: Lane | null = null;

  constructor(priority: number) {
    this.priority = priority;
  }

  /** Lanes in the ring. */
  get laneCount(): number {
    return this.#lanes.size;
  }

  /** The event a claim of this level takes next. */
  head(): Entry | undefined {
    return this.#first?.first();
  }

  /**
   * Adds `e` under `key` and returns how many of the level's events come before it: at the ring's
   * end for a new key (O(1)); as its key's k-th event otherwise (O(keys)).
   */
  push(e: Entry, key: string): number {
    this.size++;
    const lane = this.#lanes.get(key);
    if (lane === undefined) {
      const fresh = new Lane(key, e);
      e.lane = fresh;
      this.#lanes.set(key, fresh);
      this.#append(fresh);
      // Every other lane's first event comes before it.
      return this.#lanes.size - 1;
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
      this.#lanes.delete(lane.key);
    } else if (served && wasFirst && lane !== this.#last) {
      this.#unlink(lane);
      this.#append(lane);
    }
  }

  #append(lane: Lane): void {
    lane.prev = this.#last;
    lane.next = null;
    if (this.#last !== null) this.#last.next = lane;
    else this.#first = lane;
    this.#last = lane;
  }

  #unlink(lane: Lane): void {
    if (lane.prev !== null) lane.prev.next = lane.next;
    else this.#first = lane.next;
    if (lane.next !== null) lane.next.prev = lane.prev;
    else this.#last = lane.prev;
    lane.prev = null;
    lane.next = null;
  }
}
