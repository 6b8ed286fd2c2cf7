/**
 * Least-recently-used order over records that carry their own links (nothing allocated per use):
 * the per-session records of SessionOwners and SessionState, which evict the oldest at capacity.
 * A Map's insertion order cannot serve: re-inserting a key on every use leaves deleted slots that
 * make both the eviction's scan and that key's own lookups slower with every use.
 */

/** A record's links in a {@link UseOrder}; null when at an end (or not in the order). */
export interface UseOrderNode<T> {
  older: T | null;
  newer: T | null;
}

/** See the file comment. */
export class UseOrder<T extends UseOrderNode<T>> {
  #oldest: T | null = null;
  #newest: T | null = null;

  /** The least recently used record. */
  get oldest(): T | null {
    return this.#oldest;
  }

  /** The most recently used record. */
  get newest(): T | null {
    return this.#newest;
  }

  /** Adds a record that is not in the order, as the most recently used. */
  append(node: T): void {
    const newest = this.#newest;
    node.older = newest;
    if (newest === null) this.#oldest = node;
    else newest.newer = node;
    this.#newest = node;
  }

  /** Takes a record out of the order. */
  unlink(node: T): void {
    const { older, newer } = node;
    if (older === null) this.#oldest = newer;
    else older.newer = newer;
    if (newer === null) this.#newest = older;
    else newer.older = older;
    node.older = null;
    node.newer = null;
  }

  /** A record in the order was used: it becomes the most recently used. */
  touch(node: T): void {
    if (node === this.#newest) return;
    this.unlink(node);
    this.append(node);
  }
}
