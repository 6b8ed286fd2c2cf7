/**
 * Session owners in Redis (`owner:<session>`, a string of JSON), so that every front of a shared
 * queue enforces who a session belongs to (see server/SessionOwners.ts). A front writes or reads a
 * session's record once (SET NX, or GET, when it first sees the session; a join's SET NX rides on its
 * admission script, see claimWithAdmission) and refreshes its TTL now and then; no command per
 * prediction. Records live `stateTtlMs` after their last refresh, as the session's State does, or
 * in an app that writes no State 4/3 of `sessionTtlMs`, so that they outlive the session's
 * messages (see {@link keepsState}).
 */
import type { SessionOwner, SharedOwnerStore } from "./OwnerStore.ts";
import type { RedisLink } from "./RedisLink.ts";

/** An owner to record with its session's next admission (see {@link RedisSessionOwners.claimWithAdmission}). */
export interface PendingOwner {
  /** The record to write if the session has none. */
  readonly value: string;
  /** The admission wrote it. */
  recorded(): void;
  /** The session had an owner already (its record): judged; throws SESSION_FORBIDDEN to refuse. */
  refused(inForce: string): void;
  /** No admission answered (refused before the record, or the store failed): nothing is known written. */
  dropped(): void;
}

/** {@link SharedOwnerStore} on Redis. See the file comment. */
export class RedisSessionOwners implements SharedOwnerStore {
  readonly #link: RedisLink;
  #ttlMs: number;
  /** Owners waiting for their session's admission in this tick (see claimWithAdmission). */
  readonly #pending = new Map<string, PendingOwner>();

  constructor(link: RedisLink) {
    this.#link = link;
    this.#ttlMs = link.options.stateTtlMs;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  keepsState(writes: boolean): void {
    const o = this.#link.options;
    // Refreshed at most 4 times per TTL, a record lasts 3/4 of it after the last refresh: 4/3 of the
    // messages' TTL outlives them.
    this.#ttlMs = writes ? Math.max(o.stateTtlMs, o.sessionTtlMs) : Math.ceil((o.sessionTtlMs * 4) / 3);
    // A session held solo for sure: never longer than half its record's TTL (see SoloSessions).
    this.#link.solo.useValidMs(this.#ttlMs / 2);
  }

  async claim(sessionHash: string, owner: SessionOwner): Promise<SessionOwner> {
    const key = this.#key(sessionHash);
    // SET NX GET needs Redis 7; NX then GET is two commands only when the session was claimed already.
    const set = await this.#link.call((r) => r.set(key, encode(owner), "PX", this.ttlMs, "NX"));
    if (set === "OK") return owner;
    return (await this.get(sessionHash)) ?? owner;
  }

  claimWithAdmission(
    sessionHash: string,
    owner: SessionOwner,
    judge: (inForce: SessionOwner) => void,
  ): Promise<SessionOwner | null> {
    return new Promise((resolve) => {
      const pending: PendingOwner = {
        value: encode(owner),
        recorded: () => resolve(owner),
        refused: (json) => {
          const inForce = decode(json);
          // Others waiting on this session judge against the same record, whatever this join's fate.
          resolve(inForce);
          judge(inForce);
        },
        dropped: () => resolve(null),
      };
      this.#pending.set(sessionHash, pending);
      // The admission takes it synchronously (RedisStore.enqueue); one that never came recorded nothing.
      queueMicrotask(() => {
        if (this.#pending.get(sessionHash) !== pending) return;
        this.#pending.delete(sessionHash);
        pending.dropped();
      });
    });
  }

  /** The owner to record with this admission of the session, if one waits (taken). */
  takePending(sessionHash: string): PendingOwner | undefined {
    const pending = this.#pending.get(sessionHash);
    if (pending !== undefined) this.#pending.delete(sessionHash);
    return pending;
  }

  async get(sessionHash: string): Promise<SessionOwner | null> {
    const json = await this.#link.call((r) => r.get(this.#key(sessionHash)));
    return json === null ? null : decode(json);
  }

  markKeyed(sessionHash: string, owner: SessionOwner): void {
    this.#link.fire((r) => r.set(this.#key(sessionHash), encode(owner), "PX", this.ttlMs, "XX"));
  }

  touch(sessionHash: string): void {
    this.#link.fire((r) => r.pexpire(this.#key(sessionHash), this.#ttlMs));
    this.#link.solo.extend(sessionHash);
  }

  #key(sessionHash: string): string {
    return `${this.#link.prefix}owner:${sessionHash}`;
  }
}

function encode(o: SessionOwner): string {
  return JSON.stringify([o.user, o.key, o.address, o.keyed ? 1 : 0]);
}

/** A record this code wrote; anything else reads as "owned by nobody that can be matched". */
function decode(json: string): SessionOwner {
  try {
    const v = JSON.parse(json) as unknown;
    if (Array.isArray(v) && v.length === 4) {
      const [user, key, address, keyed] = v as unknown[];
      if (
        (user === null || typeof user === "string") &&
        (key === null || typeof key === "string") &&
        (address === null || typeof address === "string")
      ) {
        return { user, key, address, keyed: keyed === 1 };
      }
    }
  } catch {
    // fall through
  }
  // Unreadable: refuse everyone rather than let anyone in.
  return { user: "\u0000unreadable", key: null, address: "\u0000", keyed: true };
}
