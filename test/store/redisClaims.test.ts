import assert from "node:assert/strict";
import { test } from "node:test";
import type { StoredJob } from "../../src/queue/index.ts";
import { parseClaim } from "../../src/store/redisClaims.ts";

function job(eventId: string): StoredJob {
  return { eventId, sessionHash: "S", fnId: 0, poolId: "default", data: ["x"], rootUrl: "", meta: {}, enqueuedAtMs: 1 };
}

test("a claim of a job this node holds takes that job; any other job is read from its JSON", () => {
  const mine = job("a");
  const json = JSON.stringify(mine);
  const other = job("b");
  const known = (j: string) => (j === json ? mine : undefined);
  const parsed = parseClaim(["default", "0", json, "n1", JSON.stringify(other), "n2"], "L", known);
  assert.ok(parsed !== null);
  assert.equal(parsed.claim.jobs[0], mine, "the very object, not a copy");
  assert.notEqual(parsed.claim.jobs[1], other);
  assert.deepEqual(parsed.claim.jobs[1], other);
  assert.deepEqual(parsed.origins, ["n1", "n2"]);
  assert.equal(parsed.claim.leaseId, "a|L");
  assert.equal(parsed.claim.poolId, "default");
  assert.equal(parsed.claim.fnId, 0);
});

test("without jobs held here, or when nothing was claimed", () => {
  const mine = job("a");
  const parsed = parseClaim(["default", "0", JSON.stringify(mine), "n1"], "L");
  assert.notEqual(parsed?.claim.jobs[0], mine);
  assert.deepEqual(parsed?.claim.jobs[0], mine);
  assert.equal(parseClaim(false, "L"), null);
  assert.equal(
    parseClaim(null, "L", () => mine),
    null,
  );
});
