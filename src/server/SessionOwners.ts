import type { IncomingHttpHeaders } from "node:http";
import { UsherError } from "../errors.ts";
import type { SessionOwner, SharedOwnerStore } from "../store/index.ts";
import { readCookie, type Authenticator } from "./auth/Authenticator.ts";
import { newEventId } from "./predictBody.ts";
import { UseOrder } from "../UseOrder.ts";

export type { SessionOwner, SharedOwnerStore } from "../store/index.ts";

/** Name of the cookie that carries a browser's client key (see {@link SessionOwners}). */
export const CLIENT_KEY_COOKIE = "usher-client-key";
/** A client key: 128 random bits in hex, as {@link newEventId} makes them. */
const KEY_SHAPE = /^[0-9a-f]{32}$/;

/** Records kept in this process; the least recently used go first beyond it. */
const DEFAULT_CAPACITY = 100_000;

/** What a request presents about who sends it. */
export interface SessionClaim {
  /** The signed-in user (auth on), else null. */
  readonly user: string | null;
  /** The client key cookie it carries (well formed), else null. */
  readonly key: string | null;
  /** The address it came from (the proxy's behind a proxy). */
  readonly address: string;
}

/**
 * How a request that may touch a session fared: "strong" when it presented the session's client
 * key (it may replace the session's reader: its own tab reconnecting), "weak" when nothing it
 * presented contradicts the owner (a client that keeps no cookies, like `@gradio/client` in Node).
 */
export type Standing = "strong" | "weak";

/** Options of {@link SessionOwners}. */
export interface SessionOwnersOptions {
  /** The shared store of a scale-out deployment; absent: this process is the only one. */
  readonly shared?: SharedOwnerStore | null;
  /** Records kept in this process (default 100 000). */
  readonly capacity?: number;
  /** Clock of the shared records' refreshes, ms. */
  readonly now?: () => number;
}

interface Entry {
  readonly sessionHash: string;
  owner: SessionOwner;
  /** When the shared record was last refreshed (now()), ms. */
  touchedMs: number;
  /** The entry used just before this one (null: the least recently used). */
  older: Entry | null;
  /** The entry used just after this one (null: the most recently used). */
  newer: Entry | null;
}

/**
 * Who each session belongs to. A session is bound at its first join (POST /queue/join, /call,
 * /run with a session hash, the queue WebSocket, a 3.x socket) to the signed-in user, the client
 * key cookie the request carried (or the one issued with the answer: browsers keep it and send it
 * on every later request, Node clients ignore it) and the request's address. Every later request
 * of the session (join, stream, cancel) is judged against that owner:
 *
 * - another signed-in user: refused;
 * - another client key: refused;
 * - no key, while the session's client has shown it keeps its key: refused;
 * - no key, from another address: refused;
 * - else allowed: "strong" with the key, "weak" without.
 *
 * In a scale-out deployment the owner is recorded in the shared store once per session (the first
 * front to see it claims it; the others read it once and keep it here), so every front enforces
 * it without a store command per prediction.
 */
export class SessionOwners {
  readonly #shared: SharedOwnerStore | null;
  readonly #capacity: number;
  readonly #now: () => number;
  /**
   * The records by session, and their use order as a list threaded through them (least recently
   * used first). Not the Map's own order (a use re-inserting its key): at capacity, finding the
   * Map's oldest key meant an iterator stepping over every key deleted since the table was last
   * compacted, up to ~10^5 of them per eviction, and a fresh session per prediction evicts one
   * each time (24 µs per session measured, against under 1 µs for this list).
   */
  readonly #entries = new Map<string, Entry>();
  readonly #order = new UseOrder<Entry>();
  /** Sessions whose first join here records their owner with its admission (see bindJoin). */
  readonly #recording = new Map<string, Promise<SessionOwner | null>>();

  constructor(options: SessionOwnersOptions = {}) {
    this.#shared = options.shared ?? null;
    this.#capacity = options.capacity ?? DEFAULT_CAPACITY;
    this.#now = options.now ?? Date.now;
  }

  /** Number of records held in this process. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A join of `sessionHash`: binds the session to `claim` if it has no owner yet (to a key made
   * by `issue`, which sets it in the answer, when the request carried none), else judges the
   * claim. Throws (or rejects with) SESSION_FORBIDDEN. Answers in the call when the owner is known
   * here (every join of a session after its first on this process).
   */
  bind(
    sessionHash: string,
    claim: SessionClaim,
    issue: (() => string) | null,
    anyAddress = false,
  ): Standing | Promise<Standing> {
    const entry = this.#use(sessionHash);
    if (entry !== undefined) return this.#judge(sessionHash, entry.owner, claim);
    const owner = this.#newOwner(claim, issue, anyAddress);
    const shared = this.#shared;
    if (shared === null) {
      this.#remember(sessionHash, owner);
      return claim.key === null ? "weak" : "strong";
    }
    return shared.claim(sessionHash, owner).then((inForce) => {
      // Another join of the session may have recorded it here meanwhile: the store's answer wins.
      this.#remember(sessionHash, inForce);
      return this.#judge(sessionHash, inForce, claim);
    });
  }

  /**
   * {@link bind} for a join whose admission the caller starts in this same tick: a session this
   * process does not know yet gets its owner recorded by the store in the admission's own step
   * (SharedOwnerStore.claimWithAdmission; the store judges an owner already in force through
   * this process's rules before admitting anything). Other joins of the session meanwhile wait
   * for that outcome, then are judged as usual.
   */
  bindJoin(sessionHash: string, claim: SessionClaim, issue: (() => string) | null): Standing | Promise<Standing> {
    const shared = this.#shared;
    if (shared?.claimWithAdmission === undefined || this.#entries.has(sessionHash)) {
      return this.bind(sessionHash, claim, issue);
    }
    const recording = this.#recording.get(sessionHash);
    if (recording !== undefined) return recording.then(() => this.bind(sessionHash, claim, issue));
    const owner = this.#newOwner(claim, issue, false);
    const recorded = shared.claimWithAdmission(sessionHash, owner, (inForce) => {
      this.#remember(sessionHash, inForce);
      this.#judge(sessionHash, inForce, claim);
    });
    this.#recording.set(sessionHash, recorded);
    void recorded.then((inForce) => {
      if (this.#recording.get(sessionHash) === recorded) this.#recording.delete(sessionHash);
      if (inForce === owner) this.#remember(sessionHash, owner);
    });
    return claim.key === null ? "weak" : "strong";
  }

  /**
   * A request that touches an existing session (its stream, a cancel, a heartbeat): judges the
   * claim against the owner. A session with no recorded owner has nothing to protect ("weak").
   */
  check(sessionHash: string, claim: SessionClaim): Standing | Promise<Standing> {
    const entry = this.#use(sessionHash);
    if (entry !== undefined) return this.#judge(sessionHash, entry.owner, claim);
    const shared = this.#shared;
    if (shared === null) return "weak";
    return shared.get(sessionHash).then((owner) => {
      if (owner === null) return "weak";
      this.#remember(sessionHash, owner);
      return this.#judge(sessionHash, owner, claim);
    });
  }

  /** Like {@link check}, but only from what this process knows: undefined when it would have to ask the store. */
  checkHere(sessionHash: string, claim: SessionClaim): Standing | undefined {
    const entry = this.#use(sessionHash);
    if (entry !== undefined) return this.#judge(sessionHash, entry.owner, claim);
    return this.#shared === null ? "weak" : undefined;
  }

  /** The owner a first request binds a session to (with a key made by `issue` when it presented none). */
  #newOwner(claim: SessionClaim, issue: (() => string) | null, anyAddress: boolean): SessionOwner {
    return {
      user: claim.user,
      key: claim.key ?? (issue === null ? null : issue()),
      address: anyAddress ? null : claim.address,
      keyed: claim.key !== null,
    };
  }

  #judge(sessionHash: string, owner: SessionOwner, claim: SessionClaim): Standing {
    if (owner.user !== claim.user) throw new UsherError("SESSION_FORBIDDEN", "This session belongs to another user.");
    if (claim.key !== null && owner.key !== null) {
      if (!sameKey(claim.key, owner.key))
        throw new UsherError("SESSION_FORBIDDEN", "This session belongs to another client.");
      if (!owner.keyed) {
        owner.keyed = true;
        this.#shared?.markKeyed(sessionHash, owner);
      }
      return "strong";
    }
    if (claim.key === null && owner.keyed) {
      throw new UsherError(
        "SESSION_FORBIDDEN",
        `This session belongs to a client that sends its \`${CLIENT_KEY_COOKIE}\` cookie, and this request has none.`,
      );
    }
    if (owner.address !== null && claim.address !== owner.address) {
      throw new UsherError("SESSION_FORBIDDEN", "This session was opened from another address.");
    }
    return "weak";
  }

  /**
   * The session is still in use here without a request (a stream waiting for a queued event): its
   * shared record is refreshed when due, as a request's would be. Nothing for a session not bound here.
   */
  keepAlive(sessionHash: string): void {
    this.#use(sessionHash);
  }

  #use(sessionHash: string): Entry | undefined {
    const entry = this.#entries.get(sessionHash);
    if (entry === undefined) return undefined;
    this.#order.touch(entry);
    const shared = this.#shared;
    if (shared !== null) {
      const now = this.#now();
      // The store's record must outlive what it protects: refresh it, but at most 4 times per TTL.
      if (now - entry.touchedMs >= shared.ttlMs / 4) {
        entry.touchedMs = now;
        shared.touch(sessionHash);
      }
    }
    return entry;
  }

  #remember(sessionHash: string, owner: SessionOwner): void {
    const known = this.#entries.get(sessionHash);
    if (known !== undefined) {
      known.owner = owner;
      known.touchedMs = this.#now();
      this.#order.touch(known);
      return;
    }
    const entry: Entry = { sessionHash, owner, touchedMs: this.#now(), older: null, newer: null };
    this.#entries.set(sessionHash, entry);
    this.#order.append(entry);
    const oldest = this.#order.oldest;
    if (this.#entries.size > this.#capacity && oldest !== null) {
      this.#order.unlink(oldest);
      this.#entries.delete(oldest.sessionHash);
    }
  }
}

/** What a request presents: the signed-in user (when auth is on), its client key and its address. */
export function claimOf(
  auth: Authenticator | null | undefined,
  headers: IncomingHttpHeaders,
  remoteAddress: string | undefined,
): SessionClaim {
  const cookie = headers.cookie;
  return {
    user: auth ? auth.userOf(cookie) : null,
    key: clientKeyOf(cookie),
    address: normalizeAddress(remoteAddress),
  };
}

/** The well-formed client key of a `Cookie` header, or null. */
export function clientKeyOf(cookieHeader: string | undefined): string | null {
  if (cookieHeader === undefined || !cookieHeader.includes(CLIENT_KEY_COOKIE)) return null;
  const key = readCookie(cookieHeader, CLIENT_KEY_COOKIE);
  return key !== undefined && KEY_SHAPE.test(key) ? key : null;
}

/** A fresh client key: 128 bits from the CSPRNG. */
export function newClientKey(): string {
  return newEventId();
}

/**
 * The `Set-Cookie` value that gives a browser its client key. HttpOnly (no script reads it),
 * SameSite=Lax (no other site's request carries it), no Max-Age (it goes with the browser
 * session, as the sessions it binds do), Secure when the request came over https.
 */
export function clientKeyCookie(key: string, secure: boolean): string {
  return `${CLIENT_KEY_COOKIE}=${key}; Path=/; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/**
 * Compares two keys in a time that does not depend on where they differ (a key is a secret:
 * `!==` stops at the first difference). Keys are ASCII hex, so char codes compare as bytes.
 */
function sameKey(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** One spelling per address: IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`. */
function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return "";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/**
 * Gives an answer a client key cookie, once, and returns the key: the `issue` of
 * {@link SessionOwners.bind}. `setCookie` adds the header to the answer; `secure` (or the function
 * that tells, asked only when a key is issued) whether the request came over https.
 */
export function keyIssuer(secure: boolean | (() => boolean), setCookie: (value: string) => void): () => string {
  let key: string | null = null;
  return () => {
    if (key === null) {
      key = newClientKey();
      setCookie(clientKeyCookie(key, typeof secure === "boolean" ? secure : secure()));
    }
    return key;
  };
}

/**
 * The `Set-Cookie` value that gives a browser its client key when its request (for the page or
 * the config, before any join) carried none, else null. Issued that early so that a browser's
 * tabs all join with the one key it keeps.
 */
export function pageKeyCookie(cookieHeader: string | undefined, secure: boolean): string | null {
  return clientKeyOf(cookieHeader) === null ? clientKeyCookie(newClientKey(), secure) : null;
}
