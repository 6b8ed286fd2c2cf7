/**
 * Per client key, an event of that key whose claim this node released while still holding its
 * lease: such an event waits in no level any more, and cannot again (its job is gone, and nothing
 * of it is left to reap). An admission of the key names it, so that a lane record whose head it
 * is reads as an ended lane's without a look at the ring (see ENQUEUE, docs/redis-protocol.md,
 * "Fair order"): a returning key (a user back for another prediction) costs no ZSCORE.
 *
 * So is an event this node admitted whose final came from another node (run, or removed, there):
 * a final ends its event for good. Without it, a key whose last job ran on another front cost a
 * ZSCORE at its next admission: (N − 1) / N of them at N fronts (0.6–0.7 a prediction at 4 and 8).
 *
 * A hint, not a record: a missing one only costs that look. Cleared when full, and after a break
 * of the connections (Redis may be back with other data).
 */
import type { HeldLease } from "./RedisLink.ts";

/** Most client keys kept. */
const MAX_KEYS = 10_000;

/** See the file comment. */
export class ReleasedHints {
  readonly #byKey = new Map<string, string>();
  /** Events admitted here and not ended as far as this node knows: their client key. */
  readonly #open = new Map<string, string>();
  /**
   * Events claimed at their admission (the fast path): they never waited, so their key's lane record
   * still names the key's previous waiting event, which the hint keeps naming.
   */
  readonly #neverWaited = new Set<string>();

  /** A claim released while held (the release said so): its events left every level for good. */
  note(held: HeldLease): void {
    const keys = held.clientKeys ?? [];
    // Cleared rather than trimmed: finding a Map's oldest key is slow after many deletions.
    if (this.#byKey.size + keys.length > MAX_KEYS) this.#byKey.clear();
    keys.forEach((key, i) => {
      const eventId = held.eventIds[i];
      if (eventId === undefined) return;
      this.#open.delete(eventId);
      if (!this.#neverWaited.delete(eventId)) this.#byKey.set(key, eventId);
    });
  }

  /** This node admitted `eventId` for client key `key`; `neverWaited`: claimed at once (the fast path). */
  admitted(eventId: string, key: string, neverWaited: boolean): void {
    if (this.#open.size >= MAX_KEYS) this.#open.clear();
    this.#open.set(eventId, key);
    if (!neverWaited) return;
    if (this.#neverWaited.size >= MAX_KEYS) this.#neverWaited.clear();
    this.#neverWaited.add(eventId);
  }

  /** The final of an event admitted here came from another node: it ended for good. */
  endedElsewhere(eventId: string): void {
    const key = this.#open.get(eventId);
    if (key === undefined) return;
    this.#open.delete(eventId);
    if (this.#byKey.size >= MAX_KEYS) this.#byKey.clear();
    this.#byKey.set(key, eventId);
  }

  /** The key's released event, or "" (the script's "none"). */
  of(clientKey: string): string {
    return this.#byKey.get(clientKey) ?? "";
  }

  clear(): void {
    this.#byKey.clear();
    this.#open.clear();
    this.#neverWaited.clear();
  }
}
