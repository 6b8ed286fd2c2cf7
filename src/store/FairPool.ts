/**
 * One pool of the in-memory store: its priority levels ({@link FairLevel}), its running slot count,
 * and the order across levels (docs/fair-queue.md): the next event is the head of the level whose
 * head has the smallest `agedAtMs` (ties: higher priority, then older admission).
 */
import { type Entry, FairLevel } from "./FairLevel.ts";

/** True when `a` goes before `b` across levels or pools. */
export function before(a: Entry, b: Entry): boolean {
  if (a.agedAtMs !== b.agedAtMs) return a.agedAtMs < b.agedAtMs;
  if (a.level.priority !== b.level.priority) return a.level.priority > b.level.priority;
  return a.seq < b.seq;
}

/** One pool. See the file comment. */
export class FairPool {
  readonly id: string;
  running = 0;
  /** Waiting events in the pool. */
  size = 0;
  readonly #levels = new Map<number, FairLevel>();
  /** The only level while there is one (the usual pool): no merge. */
  #single: FairLevel | null = null;

  constructor(id: string) {
    this.id = id;
  }

  /** The level of `priority`, made on first use. */
  level(priority: number): FairLevel {
    let l = this.#levels.get(priority);
    if (l === undefined) {
      l = new FairLevel(this, priority);
      this.#levels.set(priority, l);
      this.#single = this.#levels.size === 1 ? l : null;
    }
    return l;
  }

  /** Drops a level that has emptied (priorities come and go; a map of them must not grow). */
  dropIfEmpty(level: FairLevel): void {
    if (level.size > 0 || this.#levels.size === 1) return;
    this.#levels.delete(level.priority);
    if (this.#levels.size === 1) for (const l of this.#levels.values()) this.#single = l;
  }

  /** Levels with waiting events. */
  levels(): IterableIterator<FairLevel> {
    return this.#levels.values();
  }

  /** The event a claim of this pool takes next. */
  head(): Entry | undefined {
    const single = this.#single;
    if (single !== null) return single.head();
    let best: Entry | undefined;
    for (const l of this.#levels.values()) {
      const h = l.head();
      if (h !== undefined && (best === undefined || before(h, best))) best = h;
    }
    return best;
  }

  /** Calls `visit` on each waiting event in the order claims will take them; stops when it returns false. */
  walk(visit: (e: Entry) => boolean | void): void {
    const single = this.#single;
    if (single !== null) {
      single.walk(visit);
      return;
    }
    // A merge of each level's order by the rule of `head`: each level's walk is collected first
    // (levels are few, and a walk is what a status round costs anyway).
    const seqs: Entry[][] = [];
    for (const l of this.#levels.values()) {
      if (l.size === 0) continue;
      const list: Entry[] = [];
      l.walk((e) => {
        list.push(e);
      });
      seqs.push(list);
    }
    const at = new Array<number>(seqs.length).fill(0);
    for (;;) {
      let bi = -1;
      let best: Entry | undefined;
      for (let i = 0; i < seqs.length; i++) {
        const e = seqs[i]?.[at[i] ?? 0];
        if (e !== undefined && (best === undefined || before(e, best))) {
          best = e;
          bi = i;
        }
      }
      if (best === undefined) return;
      at[bi] = (at[bi] ?? 0) + 1;
      if (visit(best) === false) return;
    }
  }

  /** How many waiting events come before `e` (O(pool) with several levels). */
  rankOf(e: Entry): number {
    let rank = 0;
    let found = false;
    this.walk((x) => {
      if (x === e) {
        found = true;
        return false;
      }
      rank++;
      return true;
    });
    return found ? rank : this.size;
  }

  /** Whether the pool has more than one level (ranks then need a walk). */
  get merged(): boolean {
    return this.#single === null;
  }
}
