/**
 * The login rate limit on the manual clock: free failures, growing waits, recovery after the wait,
 * records forgotten after `forgetMs`, per-address and per-name counts kept apart, parallel attempts
 * counted as they start, memory bounded under rotating names; and revoked tokens that expire with
 * the token and never come back when the table overflows.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Authenticator, LOGIN_TTL_MS } from "../../src/server/auth/Authenticator.ts";
import {
  addressKeyOf,
  LoginThrottle,
  type LoginRefusal,
  type LoginTicket,
} from "../../src/server/auth/LoginThrottle.ts";
import { RevokedTokens } from "../../src/server/auth/RevokedTokens.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";

function ticket(r: LoginTicket | LoginRefusal): LoginTicket {
  assert.ok("succeeded" in r, `refused: ${JSON.stringify(r)}`);
  return r;
}
function refusal(r: LoginTicket | LoginRefusal): LoginRefusal {
  assert.ok(!("succeeded" in r), "expected a refusal");
  return r;
}

test("an address gets its free failures, then waits 1 s, 2 s, 4 s … up to the cap, and may try again after each wait", () => {
  const clock = new ManualClock(1_000);
  const t = new LoginThrottle(
    { freeFailuresPerAddress: 3, freeFailuresPerUser: 1000, baseDelayMs: 1000, maxDelayMs: 8000 },
    clock,
  );
  for (let i = 0; i < 3; i++) ticket(t.begin("1.2.3.4", `user${i}`)).failed();
  let r = refusal(t.begin("1.2.3.4", "other"));
  assert.deepEqual(r, { scope: "address", retryAfterS: 1 });
  // Another address is not affected.
  ticket(t.begin("5.6.7.8", "other")).succeeded();
  clock.spend(999);
  refusal(t.begin("1.2.3.4", "other"));
  clock.spend(1);
  ticket(t.begin("1.2.3.4", "x")).failed();
  r = refusal(t.begin("1.2.3.4", "x"));
  assert.equal(r.retryAfterS, 2);
  clock.spend(2000);
  ticket(t.begin("1.2.3.4", "x")).failed();
  assert.equal(refusal(t.begin("1.2.3.4", "x")).retryAfterS, 4);
  clock.spend(4000);
  ticket(t.begin("1.2.3.4", "x")).failed();
  assert.equal(refusal(t.begin("1.2.3.4", "x")).retryAfterS, 8);
  clock.spend(8000);
  ticket(t.begin("1.2.3.4", "x")).failed();
  assert.equal(refusal(t.begin("1.2.3.4", "x")).retryAfterS, 8, "capped at maxDelayMs");
});

test("a user name is throttled across addresses; a success resets no count, but its pair (address, name) skips the name's limit", () => {
  const clock = new ManualClock();
  const t = new LoginThrottle({ freeFailuresPerAddress: 5, freeFailuresPerUser: 3 }, clock);
  ticket(t.begin("10.0.0.50", "ada")).succeeded(); // the owner, at home
  for (let i = 0; i < 3; i++) ticket(t.begin(`10.0.0.${i}`, "ada")).failed();
  assert.deepEqual(refusal(t.begin("10.0.0.99", "ada")), { scope: "user", retryAfterS: 1 });
  // Other names from the same addresses go on; the owner's known address is not locked out.
  ticket(t.begin("10.0.0.0", "bob")).succeeded();
  ticket(t.begin("10.0.0.50", "ada")).succeeded();
  // The owner's logins did not reset the name's count: the next failure elsewhere waits longer.
  clock.spend(1000);
  ticket(t.begin("10.0.0.51", "ada")).failed();
  assert.deepEqual(refusal(t.begin("10.0.0.52", "ada")), { scope: "user", retryAfterS: 2 });
  // A known pair's failures count against its address only, and the address limit still holds.
  for (let i = 0; i < 5; i++) ticket(t.begin("10.0.0.50", "ada")).failed();
  assert.equal(refusal(t.begin("10.0.0.50", "ada")).scope, "address");
  // Known pairs are forgotten after knownForMs.
  clock.spend(7 * 24 * 3600 * 1000);
  assert.deepEqual(t.size.known, 2);
  ticket(t.begin("10.0.0.0", "carl")).succeeded();
  assert.deepEqual(t.size.known, 1);

  // …while a success does not give an address more guesses at other names.
  const u = new LoginThrottle({ freeFailuresPerAddress: 5, freeFailuresPerUser: 100 }, clock);
  for (let i = 0; i < 4; i++) ticket(u.begin("7.7.7.7", "ada")).failed();
  ticket(u.begin("7.7.7.7", "bob")).succeeded();
  ticket(u.begin("7.7.7.7", "ada")).failed();
  assert.equal(refusal(u.begin("7.7.7.7", "bob")).scope, "address");
});

test("records are forgotten forgetMs after the last failure; a form without a name counts against the address only", () => {
  const clock = new ManualClock();
  const t = new LoginThrottle(
    { freeFailuresPerAddress: 2, freeFailuresPerUser: 2, maxDelayMs: 60_000, forgetMs: 600_000 },
    clock,
  );
  ticket(t.begin("1.1.1.1", undefined)).failed();
  ticket(t.begin("1.1.1.1", undefined)).failed();
  refusal(t.begin("1.1.1.1", "ada"));
  assert.deepEqual(t.size, { addresses: 1, users: 0, known: 0 });
  clock.spend(600_000);
  // Forgotten: two free failures again, not one attempt after a doubled wait.
  ticket(t.begin("1.1.1.1", "ada")).failed();
  ticket(t.begin("1.1.1.1", "bob")).failed();
  refusal(t.begin("1.1.1.1", "cy"));
});

test("parallel attempts are counted as they start: a burst gets the free ones, then one at a time", () => {
  const clock = new ManualClock();
  const t = new LoginThrottle({ freeFailuresPerAddress: 3, freeFailuresPerUser: 100 }, clock);
  const inFlight = [0, 1, 2].map((i) => ticket(t.begin("2.2.2.2", `u${i}`)));
  refusal(t.begin("2.2.2.2", "u3"));
  for (const x of inFlight) x.failed();
  clock.spend(1000);
  const one = ticket(t.begin("2.2.2.2", "u4"));
  refusal(t.begin("2.2.2.2", "u5"));
  one.failed();
  one.failed(); // settling twice counts once
  assert.equal(refusal(t.begin("2.2.2.2", "u5")).retryAfterS, 2);

  // Attempts at one name in flight that settle in any order: every failure counts once.
  const v = new LoginThrottle({ freeFailuresPerAddress: 100, freeFailuresPerUser: 2 }, clock);
  const wrong = ticket(v.begin("6.6.6.1", "ada"));
  ticket(v.begin("6.6.6.2", "ada")).succeeded();
  const later = ticket(v.begin("6.6.6.3", "ada"));
  wrong.failed();
  later.failed();
  assert.equal(refusal(v.begin("6.6.6.4", "ada")).scope, "user");
  assert.deepEqual(v.size, { addresses: 2, users: 1, known: 1 });
});

test("a record evicted while its attempt was in flight comes back with that failure", () => {
  const clock = new ManualClock();
  const t = new LoginThrottle({ freeFailuresPerAddress: 100, freeFailuresPerUser: 2, maxEntries: 2 }, clock);
  ticket(t.begin("8.8.8.1", "ada")).failed();
  const inFlight = ticket(t.begin("8.8.8.2", "ada"));
  // Two other names push ada's record out of the full table while her attempt runs.
  ticket(t.begin("8.8.8.3", "x")).failed();
  ticket(t.begin("8.8.8.4", "y")).failed();
  // A new attempt at ada starts a new record; both failures land in it.
  const again = ticket(t.begin("8.8.8.5", "ada"));
  inFlight.failed();
  again.failed();
  assert.equal(refusal(t.begin("8.8.8.6", "ada")).scope, "user");
});

test("memory stays bounded when one address rotates user names and when many addresses do", () => {
  const clock = new ManualClock();
  const t = new LoginThrottle({ freeFailuresPerAddress: 10, maxEntries: 100 }, clock);
  // One address: blocked after its free failures, so it cannot make many user records.
  let made = 0;
  for (let i = 0; i < 10_000; i++) {
    const r = t.begin("3.3.3.3", `name-${i}-${"x".repeat(1000)}`);
    if ("succeeded" in r) {
      r.failed();
      made++;
    }
  }
  assert.equal(made, 10);
  // Many addresses, each failing once with a new name: both tables stay at their cap.
  for (let i = 0; i < 5_000; i++)
    ticket(t.begin(`9.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `n${i}`)).failed();
  assert.ok(t.size.addresses <= 100 && t.size.users <= 100, JSON.stringify(t.size));
  // The most recently failing records are the ones kept: the last address still counts.
  for (let i = 0; i < 9; i++) ticket(t.begin("9.0.19.135", `m${i}`)).failed();
  assert.equal(refusal(t.begin("9.0.19.135", "m")).scope, "address");
});

test("client address keys: IPv4-mapped IPv6 is its IPv4, IPv6 counts per /64", () => {
  assert.equal(addressKeyOf("::ffff:192.0.2.7"), "192.0.2.7");
  assert.equal(addressKeyOf("192.0.2.7"), "192.0.2.7");
  assert.equal(addressKeyOf("2001:db8:1:2:aaaa::1"), addressKeyOf("2001:0db8:0001:0002:ffff:1:2:3"));
  assert.notEqual(addressKeyOf("2001:db8:1:2::1"), addressKeyOf("2001:db8:1:3::1"));
  assert.equal(addressKeyOf("::1"), "0:0:0:0::/64");
  const clock = new ManualClock();
  const t = new LoginThrottle({ freeFailuresPerAddress: 2, freeFailuresPerUser: 100 }, clock);
  ticket(t.begin("2001:db8:1:2::1", "a")).failed();
  ticket(t.begin("2001:db8:1:2::2", "b")).failed();
  refusal(t.begin("2001:db8:1:2:ffff:ffff:ffff:ffff", "c"));
});

test("Authenticator.attempt: the right password is refused while throttled, accepted after the wait", async () => {
  const clock = new ManualClock();
  const a = new Authenticator([["ada", "pw"]], Date.now, {
    clock,
    throttle: { freeFailuresPerAddress: 2, freeFailuresPerUser: 100 },
  });
  assert.deepEqual(await a.attempt("4.4.4.4", "ada", "no"), { ok: false, throttled: null });
  assert.deepEqual(await a.attempt("4.4.4.4", "ada", undefined), { ok: false, throttled: null });
  assert.deepEqual(await a.attempt("4.4.4.4", "ada", "pw"), {
    ok: false,
    throttled: { scope: "address", retryAfterS: 1 },
  });
  clock.spend(1000);
  const ok = await a.attempt("4.4.4.4", "ada", "pw");
  assert.ok(ok.ok && a.userOf(`${a.cookieName}=${ok.token}`) === "ada");
  // A check function that throws is a failure too.
  const b = new Authenticator(() => Promise.reject(new Error("db down")), Date.now, {
    clock,
    throttle: { freeFailuresPerAddress: 1 },
  });
  assert.deepEqual(await b.attempt("5.5.5.5", "x", "y"), { ok: false, throttled: null });
  assert.equal((await b.attempt("5.5.5.5", "x", "y")).ok, false);
  assert.notEqual(((await b.attempt("5.5.5.5", "x", "y")) as { throttled: unknown }).throttled, null);
});

test("revoked tokens: refused until they would have expired, then dropped; two logins in the same ms are distinct", async () => {
  let now = 5_000_000;
  const a = new Authenticator([["u", "p"]], () => now);
  const t1 = (await a.login("u", "p")) as string;
  const t2 = (await a.login("u", "p")) as string;
  assert.notEqual(t1, t2);
  assert.equal(a.revoke(`${a.cookieName}=${t1}; ${a.unsecureCookieName}=${t1}`), 1, "the pair of cookies is one token");
  assert.equal(a.userOf(`${a.cookieName}=${t1}`), null);
  assert.equal(a.userOf(`${a.unsecureCookieName}=${t1}`), null);
  assert.equal(a.userOf(`${a.cookieName}=${t2}`), "u", "another login of the same user stays");
  assert.equal(a.revoke(`${a.cookieName}=forged.1.2.3`), 0);
  assert.equal(a.revoke(undefined), 0);

  const r = new RevokedTokens(() => now, 3);
  r.revoke("a", now - 10, now + LOGIN_TTL_MS);
  assert.ok(r.has("a", now - 10));
  now += LOGIN_TTL_MS + 1;
  assert.equal(r.has("a", now - 10), false);
  assert.equal(r.size, 0);
});

test("revoked tokens: a full table raises a floor instead of forgetting, so no revoked token comes back", () => {
  let now = 1_000_000;
  const r = new RevokedTokens(() => now, 3);
  const exp = now + LOGIN_TTL_MS;
  r.revoke("t1", 100, exp);
  r.revoke("t2", 300, exp);
  r.revoke("t3", 200, exp);
  r.revoke("t4", 400, exp); // full: t1 goes, tokens issued at or before 100 are refused
  r.revoke("t5", 50, exp); // below the floor: already refused
  assert.ok(r.size <= 3);
  for (const [id, issued] of [
    ["t1", 100],
    ["t2", 300],
    ["t3", 200],
    ["t4", 400],
    ["t5", 50],
  ] as const)
    assert.ok(r.has(id, issued), id);
  assert.ok(r.has("never-revoked-old", 90), "older logins must log in again");
  assert.equal(r.has("never-revoked-new", 150), false);
  now += 1;
});
