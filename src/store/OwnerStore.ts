/** Who a session belongs to, fixed at its first join (see server/SessionOwners.ts). */
export interface SessionOwner {
  /** The signed-in user who opened it (auth on), else null. */
  readonly user: string | null;
  /** The client key it is bound to (presented at the first join, or issued with its answer); null: none. */
  readonly key: string | null;
  /** The address of its first join; null: any (a `/call` event, whose id is the capability). */
  readonly address: string | null;
  /** True once a request of the session presented `key`: its client keeps cookies, so one without it is someone else. */
  keyed: boolean;
}

/** Where the owners of a queue shared by several processes are kept (Redis), so that every front enforces them. */
export interface SharedOwnerStore {
  /** Records `owner` unless the session has one already; answers the owner in force. */
  claim(sessionHash: string, owner: SessionOwner): Promise<SessionOwner>;
  /** The session's owner, or null when none is recorded. */
  get(sessionHash: string): Promise<SessionOwner | null>;
  /** Records that the session's client presented its key (fire and forget). */
  markKeyed(sessionHash: string, owner: SessionOwner): void;
  /** Keeps the record alive: it lasts as long as what it protects (fire and forget; see {@link keepsState}). */
  touch(sessionHash: string): void;
  /** How long a record lives after it was last touched, ms. */
  readonly ttlMs: number;
  /**
   * Whether the app's functions may write a session's State. A record protects the session's
   * messages (kept `sessionTtlMs`) and its State (kept `stateTtlMs`): an app that never writes
   * State needs its records only as long as the messages, and a crowd of one-shot visitors then
   * leaves minutes of records in the store instead of hours. Called once, before the first join;
   * absent: records last as long as State would.
   */
  keepsState?(writes: boolean): void;
  /**
   * Records `owner` in the same store step as the session's admission that the caller starts in
   * this same tick (one round trip instead of two for a session's first join). Resolves with the
   * owner in force once that admission answered, or null when nothing was recorded (no admission
   * reached the store, e.g. a full queue). When the session has an owner already, that admission
   * is not made: `judge` gets the owner in force and throws SESSION_FORBIDDEN to refuse the join,
   * or returns to let it be admitted. Absent: the store cannot.
   */
  claimWithAdmission?(
    sessionHash: string,
    owner: SessionOwner,
    judge: (inForce: SessionOwner) => void,
  ): Promise<SessionOwner | null>;
}
