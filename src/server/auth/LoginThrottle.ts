import { createHash } from "node:crypto";
import { isIPv6 } from "node:net";
import { systemClock, type Clock } from "../../clock.ts";

/** The policy of {@link LoginThrottle}; every field has a default. */
export interface LoginThrottleOptions {
  /** Failed logins a client address may make before it must wait. Default 10. */
  readonly freeFailuresPerAddress?: number;
  /** Failed logins for one user name (from any address) before the next one must wait. Default 10. */
  readonly freeFailuresPerUser?: number;
  /** Wait after the first failure past the free ones, ms; each further failure doubles it. Default 1000. */
  readonly baseDelayMs?: number;
  /** Longest wait, ms. Default 15 min. */
  readonly maxDelayMs?: number;
  /** A record is forgotten this long after its last failure, ms (at least `maxDelayMs`). Default 1 h. */
  readonly forgetMs?: number;
  /** Most records kept per kind (addresses, user names, known pairs); the least recent go first. Default 10 000. */
  readonly maxEntries?: number;
  /** How long a successful login makes its (address, user name) pair known, ms. Default 7 days. */
  readonly knownForMs?: number;
}

/** Why an attempt may not be made now. */
export interface LoginRefusal {
  /** What is throttled: the client address or the user name. */
  readonly scope: "address" | "user";
  /** Seconds until an attempt may be made (for `Retry-After`), at least 1. */
  readonly retryAfterS: number;
}

/** A failure record of one address or one user name. */
interface Entry {
  /** Failures counted since the record was last forgotten. */
  failures: number;
  /** Attempts let through and not yet settled (the check may be an async call). */
  pending: number;
  /** No attempt before this time (clock ms). */
  blockedUntilMs: number;
  /** Time of the last failure (clock ms); the record expires `forgetMs` later. */
  lastFailureMs: number;
}

/** An attempt let through: settle it exactly once with its outcome. */
export interface LoginTicket {
  /** The check said yes: the (address, user name) pair becomes known; no failure count is reset. */
  succeeded(): void;
  /** The check said no: counts against the address, and the user name unless the pair is known. */
  failed(): void;
}

/**
 * Rate limit of failed logins, per client address and per user name, by exponential backoff: a few
 * free failures, then each failure makes the next attempt wait twice as long (1 s, 2 s, 4 s … up to
 * `maxDelayMs`). An attempt during a wait is refused without checking the password, so guessing
 * gains nothing from it (and the right password does not get in either).
 *
 * Attempts are counted when they start (as pending), not when their check returns: a burst of
 * parallel attempts gets no more than the free ones, and past them one at a time.
 *
 * A success resets no count (an attacker's count on a name keeps growing when its owner logs in).
 * It makes its (address, user name) pair known for `knownForMs`, and a known pair skips the user
 * name's limit (never the address's): someone who keeps failing at a user name from elsewhere
 * cannot lock its owner out from where they usually log in.
 *
 * Memory is bounded: at most `maxEntries` records per kind, user names kept as fixed-size digests,
 * IPv6 addresses grouped by /64 (one host holds a whole /64), records forgotten `forgetMs` after
 * their last failure. A client that rotates user names fills only its own address's count.
 */
export class LoginThrottle {
  readonly #clock: Clock;
  readonly #freeAddress: number;
  readonly #freeUser: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #forgetMs: number;
  readonly #maxEntries: number;
  /** Map order is the order of last change: the front is the least recently failing record. */
  readonly #addresses = new Map<string, Entry>();
  readonly #users = new Map<string, Entry>();
  /** Known (address, user name) pairs → when they stop being known (clock ms). Insertion ordered. */
  readonly #known = new Map<string, number>();
  readonly #knownForMs: number;

  constructor(options: LoginThrottleOptions = {}, clock: Clock = systemClock) {
    this.#clock = clock;
    this.#freeAddress = options.freeFailuresPerAddress ?? 10;
    this.#freeUser = options.freeFailuresPerUser ?? 10;
    this.#baseMs = options.baseDelayMs ?? 1000;
    this.#maxMs = options.maxDelayMs ?? 15 * 60 * 1000;
    this.#forgetMs = Math.max(options.forgetMs ?? 60 * 60 * 1000, this.#maxMs);
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#knownForMs = options.knownForMs ?? 7 * 24 * 60 * 60 * 1000;
  }

  /** Records kept now (addresses, user names), for tests and metrics. */
  get size(): { addresses: number; users: number; known: number } {
    return { addresses: this.#addresses.size, users: this.#users.size, known: this.#known.size };
  }

  /**
   * Asks to try a login from `address` as `username` (undefined when the form had none): a ticket
   * to settle with the check's outcome, or why not and for how long.
   */
  begin(address: string, username: string | undefined): LoginTicket | LoginRefusal {
    const now = this.#clock.now();
    const addressKey = addressKeyOf(address);
    const nameKey = username === undefined ? undefined : userKeyOf(username);
    const pairKey = nameKey === undefined ? undefined : `${addressKey} ${nameKey}`;
    // A known pair is not subject to the user name's limit, and its failures do not count there.
    const userKey = pairKey !== undefined && this.#isKnown(pairKey, now) ? undefined : nameKey;
    const a = this.#live(this.#addresses, addressKey, now);
    const u = userKey === undefined ? undefined : this.#live(this.#users, userKey, now);
    const byAddress = this.#wait(a, this.#freeAddress, now);
    const byUser = u === undefined ? 0 : this.#wait(u, this.#freeUser, now);
    if (byAddress > 0 || byUser > 0) {
      return {
        scope: byAddress >= byUser ? "address" : "user",
        retryAfterS: Math.max(1, Math.ceil(Math.max(byAddress, byUser) / 1000)),
      };
    }
    const entryA = a ?? this.#add(this.#addresses, addressKey);
    const entryU = userKey === undefined ? undefined : (u ?? this.#add(this.#users, userKey));
    entryA.pending++;
    if (entryU !== undefined) entryU.pending++;
    let settled = false;
    return {
      succeeded: () => {
        if (settled) return;
        settled = true;
        entryA.pending--;
        this.#dropIfEmpty(this.#addresses, addressKey, entryA);
        // No count is reset: a success as one user buys no guesses at another, and the owner's
        // login buys an attacker of the same name none either.
        if (entryU !== undefined && userKey !== undefined) {
          entryU.pending--;
          this.#dropIfEmpty(this.#users, userKey, entryU);
        }
        if (pairKey !== undefined) this.#markKnown(pairKey);
      },
      failed: () => {
        if (settled) return;
        settled = true;
        const at = this.#clock.now();
        this.#fail(this.#addresses, addressKey, entryA, this.#freeAddress, at);
        if (entryU !== undefined && userKey !== undefined) this.#fail(this.#users, userKey, entryU, this.#freeUser, at);
      },
    };
  }

  #isKnown(pairKey: string, now: number): boolean {
    const until = this.#known.get(pairKey);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#known.delete(pairKey);
    return false;
  }

  #markKnown(pairKey: string): void {
    const now = this.#clock.now();
    this.#known.delete(pairKey);
    // Every pair is known for the same time, so the front is the first to expire.
    for (const [k, until] of this.#known) {
      if (until > now) break;
      this.#known.delete(k);
    }
    while (this.#known.size >= this.#maxEntries) {
      const oldest = this.#known.keys().next();
      if (oldest.done === true) break;
      this.#known.delete(oldest.value);
    }
    this.#known.set(pairKey, now + this.#knownForMs);
  }

  /** The record of `key`, or undefined when there is none or it has expired (then it is removed). */
  #live(map: Map<string, Entry>, key: string, now: number): Entry | undefined {
    this.#expire(map, now);
    const e = map.get(key);
    if (e === undefined) return undefined;
    if (e.pending === 0 && now - e.lastFailureMs >= this.#forgetMs) {
      map.delete(key);
      return undefined;
    }
    return e;
  }

  /** How long an attempt must wait under this record, ms (0: it may go now). */
  #wait(e: Entry | undefined, free: number, now: number): number {
    if (e === undefined) return 0;
    if (now < e.blockedUntilMs) return e.blockedUntilMs - now;
    // Past the free failures, one attempt at a time: the others wait for its outcome.
    if (e.failures + e.pending >= free && e.pending > 0) return 1000;
    return 0;
  }

  #add(map: Map<string, Entry>, key: string): Entry {
    while (map.size >= this.#maxEntries) {
      const oldest = map.keys().next();
      if (oldest.done === true) break;
      map.delete(oldest.value);
    }
    const e: Entry = { failures: 0, pending: 0, blockedUntilMs: 0, lastFailureMs: this.#clock.now() };
    map.set(key, e);
    return e;
  }

  #fail(map: Map<string, Entry>, key: string, mine: Entry, free: number, now: number): void {
    mine.pending--;
    // The record this attempt started with may have been cleared (a success for the same name) or
    // evicted meanwhile: the failure goes to the current record, or brings this one back.
    const e = map.get(key) ?? mine;
    e.failures++;
    e.lastFailureMs = now;
    if (e.failures >= free) {
      const doublings = Math.min(e.failures - free, 30);
      e.blockedUntilMs = now + Math.min(this.#maxMs, this.#baseMs * 2 ** doublings);
    }
    // Back to the end of the order: the front stays the least recently failing record.
    map.delete(key);
    if (map.size >= this.#maxEntries) {
      const oldest = map.keys().next();
      if (oldest.done !== true) map.delete(oldest.value);
    }
    map.set(key, e);
  }

  #dropIfEmpty(map: Map<string, Entry>, key: string, e: Entry): void {
    if (e.failures === 0 && e.pending === 0 && map.get(key) === e) map.delete(key);
  }

  /** Removes expired records from the front (the least recently failing), a few per call. */
  #expire(map: Map<string, Entry>, now: number): void {
    let budget = 16;
    for (const [key, e] of map) {
      if (budget-- === 0) return;
      if (e.pending > 0 || now - e.lastFailureMs < this.#forgetMs) return;
      map.delete(key);
    }
  }
}

/**
 * The key of a client address: IPv4 as is (an IPv4-mapped IPv6 address as its IPv4), IPv6 by its
 * /64 prefix, since one host or customer usually holds a whole /64.
 */
export function addressKeyOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  const zone = address.indexOf("%");
  const bare = zone < 0 ? address : address.slice(0, zone);
  const [head = "", tail] = bare.split("::") as [string, string | undefined];
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::1.2.3.4) is two groups; only the first four groups matter here.
  const missing = Math.max(0, 8 - left.length - right.length);
  const all = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...right];
  return all.map((g) => (/^[0-9a-f]+$/i.test(g) ? Number.parseInt(g, 16).toString(16) : g));
}

/** A fixed-size key for a user name: a long name costs no more memory than a short one. */
function userKeyOf(username: string): string {
  return createHash("sha256").update(username, "utf8").digest("base64url");
}
