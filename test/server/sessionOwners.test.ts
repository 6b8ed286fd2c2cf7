/**
 * SessionOwners' rules on their own: who may join, read and cancel a session once it is bound, the
 * shared store's claim (first front wins, the others enforce it), and the bound on records.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isUsherError } from "../../src/errors.ts";
import { clientKeyOf, SessionOwners, type SessionClaim } from "../../src/server/SessionOwners.ts";
import type { SessionOwner, SharedOwnerStore } from "../../src/store/OwnerStore.ts";

const K1 = "a1".repeat(16);
const K2 = "2".repeat(32);
const claim = (over: Partial<SessionClaim> = {}): SessionClaim => ({
  user: null,
  key: null,
  address: "10.0.0.1",
  ...over,
});
const forbidden = (fn: () => unknown, detail: RegExp) =>
  assert.throws(
    fn,
    (err: unknown) => isUsherError(err, "SESSION_FORBIDDEN") && err.status === 403 && detail.test(err.message),
  );

test("a session bound without a key: the same address without a key is weak; another address or key is refused", () => {
  const owners = new SessionOwners();
  let issued = 0;
  const issue = () => {
    issued++;
    return K1;
  };
  assert.equal(owners.bind("s", claim(), issue), "weak");
  assert.equal(issued, 1, "a key is issued with the first join");
  assert.equal(owners.bind("s", claim(), issue), "weak");
  assert.equal(issued, 1, "and only then");
  assert.equal(owners.check("s", claim()), "weak");
  forbidden(() => owners.check("s", claim({ address: "10.0.0.2" })), /another address/);
  forbidden(() => owners.check("s", claim({ key: K2 })), /another client/);
  // The issued key, when the client kept it, proves it: strong, and from then on a request without it is refused.
  assert.equal(owners.check("s", claim({ key: K1, address: "10.9.9.9" })), "strong");
  forbidden(() => owners.check("s", claim()), /cookie/);
});

test("a session bound with a key: strong with it, refused without it or with another", () => {
  const owners = new SessionOwners();
  assert.equal(
    owners.bind("s", claim({ key: K1 }), () => assert.fail("no key is issued to a request that has one")),
    "strong",
  );
  assert.equal(owners.check("s", claim({ key: K1 })), "strong");
  forbidden(() => owners.check("s", claim()), /cookie/);
  forbidden(() => owners.bind("s", claim({ key: K2 }), null), /another client/);
});

test("with auth the user decides first: another user is refused whatever else matches", () => {
  const owners = new SessionOwners();
  void owners.bind("s", claim({ user: "ada", key: K1 }), null);
  forbidden(() => owners.check("s", claim({ user: "bob", key: K1 })), /another user/);
  forbidden(() => owners.bind("s", claim({ user: "bob", key: K1 }), null), /another user/);
  assert.equal(owners.check("s", claim({ user: "ada", key: K1 })), "strong");
});

test("an unknown session has nothing to protect; a /call session (any address) is judged on user and key only", () => {
  const owners = new SessionOwners();
  assert.equal(owners.check("nobody", claim()), "weak");
  void owners.bind("call:x", claim({ user: "ada" }), null, true);
  assert.equal(owners.check("call:x", claim({ user: "ada", address: "10.7.7.7" })), "weak");
  forbidden(() => owners.check("call:x", claim({ user: "bob" })), /another user/);
});

test("records are bounded: beyond capacity the least recently used goes", () => {
  const owners = new SessionOwners({ capacity: 2 });
  void owners.bind("a", claim({ key: K1 }), null);
  void owners.bind("b", claim({ key: K1 }), null);
  void owners.check("a", claim({ key: K1 }));
  void owners.bind("c", claim({ key: K1 }), null);
  assert.equal(owners.size, 2);
  // "b" was least recently used: forgotten, so nothing protects it any more; "a" still is.
  assert.equal(owners.check("b", claim({ key: K2 })), "weak");
  forbidden(() => owners.check("a", claim({ key: K2 })), /another client/);
});

test("records are bounded by exact least-recent use, over many binds, uses and evictions", () => {
  // A reference LRU (a Map re-inserted on use) against the records, on a seeded random walk.
  const capacity = 7;
  const owners = new SessionOwners({ capacity });
  const reference = new Map<string, true>();
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    const hash = `s${random(20)}`;
    const known = reference.delete(hash);
    if (random(2) === 0) {
      void owners.bind(hash, claim({ key: K1 }), null);
      reference.set(hash, true);
    } else {
      // A check refreshes a record; of a session with none it records nothing.
      void owners.check(hash, claim({ key: K1 }));
      if (known) reference.set(hash, true);
    }
    if (reference.size > capacity) reference.delete(reference.keys().next().value as string);
    assert.equal(owners.size, reference.size);
  }
  for (let s = 0; s < 20; s++) {
    const hash = `s${s}`;
    if (reference.has(hash)) forbidden(() => owners.check(hash, claim({ key: K2 })), /another client/);
    else assert.equal(owners.check(hash, claim({ key: K2 })), "weak");
  }
});

/** A shared store in memory, as two fronts on one Redis see it. */
class FakeShared implements SharedOwnerStore {
  readonly ttlMs = 1000;
  readonly records = new Map<string, SessionOwner>();
  commands = 0;
  touches = 0;
  async claim(sessionHash: string, owner: SessionOwner): Promise<SessionOwner> {
    this.commands++;
    const have = this.records.get(sessionHash);
    if (have !== undefined) return { ...have };
    this.records.set(sessionHash, { ...owner });
    return owner;
  }
  async get(sessionHash: string): Promise<SessionOwner | null> {
    this.commands++;
    const have = this.records.get(sessionHash);
    return have === undefined ? null : { ...have };
  }
  markKeyed(sessionHash: string, owner: SessionOwner): void {
    this.commands++;
    this.records.set(sessionHash, { ...owner });
  }
  touch(): void {
    this.touches++;
  }
}

test("shared: the first front's claim wins, the other front enforces it, and a session costs the store one command per front", async () => {
  const shared = new FakeShared();
  let now = 0;
  const a = new SessionOwners({ shared, now: () => now });
  const b = new SessionOwners({ shared, now: () => now });
  assert.equal(await a.bind("s", claim({ user: "ada" }), () => K1), "weak");
  assert.equal(shared.commands, 1);
  // Later joins and reads on front A: judged here, no store command.
  for (let i = 0; i < 100; i++) {
    assert.equal(a.bind("s", claim({ user: "ada" }), null), "weak");
    assert.equal(a.check("s", claim({ user: "ada" })), "weak");
  }
  assert.equal(shared.commands, 1);
  // Front B learns the owner from the store once.
  await assert.rejects(Promise.resolve(b.check("s", claim({ user: "bob" }))), (err: unknown) =>
    isUsherError(err, "SESSION_FORBIDDEN"),
  );
  assert.equal(shared.commands, 2);
  assert.equal(b.checkHere("s", claim({ user: "ada" })), "weak");
  // Known on B now: judged in the call.
  forbidden(() => b.bind("s", claim({ user: "bob" }), null), /another user/);
  assert.equal(shared.commands, 2);
  // A front that does not know a session cannot judge it without the store.
  assert.equal(b.checkHere("other", claim()), undefined);
  // The record's TTL is refreshed by use, at most 4 times per TTL.
  now = 100;
  await a.check("s", claim({ user: "ada" }));
  assert.equal(shared.touches, 0);
  now = 300;
  await a.check("s", claim({ user: "ada" }));
  await a.check("s", claim({ user: "ada" }));
  assert.equal(shared.touches, 1);
  // A session in use without requests (a stream waiting on a queued event) is kept alive the same way.
  now = 500;
  a.keepAlive("s");
  assert.equal(shared.touches, 1, "not due yet");
  now = 550;
  a.keepAlive("s");
  a.keepAlive("unknown here");
  assert.equal(shared.touches, 2);
});

/** {@link FakeShared} whose admissions can record an owner (see SharedOwnerStore.claimWithAdmission). */
class FakeAdmitting extends FakeShared {
  /** What the next admission does with a pending owner: record it, or none reaches the store. */
  admission: "run" | "none" = "run";
  admitted = 0;
  claimWithAdmission(
    sessionHash: string,
    owner: SessionOwner,
    judge: (inForce: SessionOwner) => void,
  ): Promise<SessionOwner | null> {
    if (this.admission === "none") return Promise.resolve(null);
    this.commands++;
    const have = this.records.get(sessionHash);
    if (have === undefined) {
      this.records.set(sessionHash, { ...owner });
      this.admitted++;
      return Promise.resolve(owner);
    }
    const inForce = { ...have };
    try {
      judge(inForce);
      this.admitted++;
    } catch {
      // Refused: not admitted (the store's enqueue rethrows it to the join).
    }
    return Promise.resolve(inForce);
  }
}

test("shared, a join's admission records the owner: no command of its own; a refusal and a waiting join are judged", async () => {
  const shared = new FakeAdmitting();
  const a = new SessionOwners({ shared });
  const b = new SessionOwners({ shared });
  // The first join answers in the call: the store records the owner with the admission.
  assert.equal(a.bindJoin("s", claim({ key: K1 }), null), "strong");
  await Promise.resolve();
  assert.equal(shared.commands, 1, "one step: the admission");
  assert.equal(a.checkHere("s", claim({ key: K1 })), "strong", "known here once recorded");
  // Front B's join meets the owner in force: judged there, refused for another client, nothing admitted.
  const admitted = shared.admitted;
  void b.bindJoin("s", claim({ key: K2 }), null);
  await Promise.resolve();
  assert.equal(shared.admitted, admitted);
  forbidden(() => b.bind("s", claim({ key: K2 }), null), /another client/);
  // Two joins of a new session at once: the second waits for the first's record, then is judged.
  const first = a.bindJoin("t", claim({ key: K1 }), null);
  const second = a.bindJoin("t", claim({ key: K2 }), null);
  assert.equal(first, "strong");
  assert.ok(second instanceof Promise);
  await assert.rejects(second, (err: unknown) => isUsherError(err, "SESSION_FORBIDDEN"));
  // An admission that never reached the store recorded nothing: the next join binds the usual way.
  shared.admission = "none";
  void a.bindJoin("u", claim({ key: K1 }), null);
  const later = a.bindJoin("u", claim({ key: K2 }), null);
  assert.ok(later instanceof Promise);
  assert.equal(await later, "strong", "K2 bound u through claim(), as its first recorded owner");
  assert.equal(shared.records.get("u")?.key, K2);
});

test("clientKeyOf reads only a well-formed key", () => {
  assert.equal(clientKeyOf(`a=1; usher-client-key=${K1}; b=2`), K1);
  assert.equal(clientKeyOf("usher-client-key=short"), null);
  assert.equal(clientKeyOf(`usher-client-key=${K1.toUpperCase()}`), null);
  assert.equal(clientKeyOf(undefined), null);
});
