/** RequestPolicy: the app's clientKey/priority callbacks, guarded (defaults on failure, throttled warnings). */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { QueueRequest } from "../../src/queue/types.ts";
import { MAX_CLIENT_KEY_LENGTH, RequestPolicy } from "../../src/server/RequestPolicy.ts";
import { routeWarnings } from "../../src/warnings.ts";

const request: QueueRequest = {
  headers: { "x-key": "abc" },
  address: "10.0.0.1",
  user: null,
  sessionHash: "s",
  fnIndex: 0,
  door: "join",
};

/** Runs `fn` with Usher's warnings captured. */
function warningsOf(fn: () => void): string[] {
  const out: string[] = [];
  const unroute = routeWarnings((_type, message) => out.push(message));
  try {
    fn();
  } finally {
    unroute();
  }
  return out;
}

/** A clock that stands still (the warning throttle is tested with its own). */
const at0 = (): number => 0;

test("no callbacks: no policy at all (the doors build no request)", () => {
  assert.equal(RequestPolicy.of({ clientKey: null, priority: null }, at0), null);
  const keyOnly = RequestPolicy.of({ clientKey: () => "k", priority: null }, at0);
  assert.ok(keyOnly !== null);
  assert.equal(keyOnly.priorityOf(request), 0);
  const levelOnly = RequestPolicy.of({ clientKey: null, priority: () => 3 }, at0);
  assert.ok(levelOnly !== null);
  assert.equal(levelOnly.clientKeyOf(request, "fallback"), "fallback");
  assert.equal(levelOnly.priorityOf(request), 3);
});

test("good values pass through: any non-empty string up to the cap, any finite number", () => {
  const policy = new RequestPolicy(
    {
      clientKey: (r) => String(r.headers["x-key"]),
      priority: (r) => (r.address === "10.0.0.1" ? -2.5 : 0),
    },
    at0,
  );
  assert.equal(policy.clientKeyOf(request, "fallback"), "abc");
  assert.equal(policy.priorityOf(request), -2.5);
  const long = new RequestPolicy({ clientKey: () => "k".repeat(MAX_CLIENT_KEY_LENGTH), priority: null }, at0);
  assert.equal(long.clientKeyOf(request, "fallback")?.length, MAX_CLIENT_KEY_LENGTH);
});

test("bad keys and levels fall back to the defaults; the warning names what came back, not the value", () => {
  const cases: [unknown, string][] = [
    ["", "returned an empty string"],
    ["k".repeat(MAX_CLIENT_KEY_LENGTH + 1), `returned a string of ${MAX_CLIENT_KEY_LENGTH + 1} characters`],
    [7, "returned 7"],
    [null, "returned null"],
    [Promise.resolve("k"), "returned a promise (callbacks must answer synchronously)"],
  ];
  for (const [value, says] of cases) {
    const policy = new RequestPolicy({ clientKey: () => value as string, priority: null }, at0);
    const warnings = warningsOf(() => assert.equal(policy.clientKeyOf(request, "fallback"), "fallback"));
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]?.startsWith(`queue({ clientKey }) ${says}, not a string`), warnings[0]);
  }
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, "1", undefined]) {
    const policy = new RequestPolicy({ clientKey: null, priority: () => value as number }, at0);
    const warnings = warningsOf(() => assert.equal(policy.priorityOf(request), 0));
    assert.match(
      warnings[0] ?? "",
      /^queue\(\{ priority \}\) returned .*, not a finite number: the join got priority 0\.$/,
    );
  }
});

test("a failing callback warns at once, then at most once a minute, counting the failures between", () => {
  let nowMs = 0;
  const policy = new RequestPolicy(
    {
      clientKey: () => {
        throw new Error("boom");
      },
      priority: () => Number.NaN,
    },
    () => nowMs,
  );
  const warnings = warningsOf(() => {
    for (let i = 0; i < 5; i++) {
      policy.clientKeyOf(request, "fallback");
      policy.priorityOf(request);
      nowMs += 1000;
    }
    nowMs = 60_000;
    policy.priorityOf(request);
  });
  assert.deepEqual(warnings, [
    "queue({ clientKey }) threw (boom): the join got the default key (the signed-in user, else the address).",
    "queue({ priority }) returned NaN, not a finite number: the join got priority 0 (9 other failures of the callbacks since the last warning).",
  ]);
});
