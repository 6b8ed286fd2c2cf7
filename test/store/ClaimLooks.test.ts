import assert from "node:assert/strict";
import { test } from "node:test";
import { ClaimLooks } from "../../src/store/ClaimLooks.ts";

test("a look that found nothing stops claims and next-job asks until another node makes work", () => {
  const looks = new ClaimLooks();
  assert.equal(looks.claimable, true, "nothing known yet: ask");
  looks.looked(false, false, false, looks.mark());
  assert.deepEqual([looks.claimable, looks.mayWait], [false, false]);
  looks.workMade();
  assert.deepEqual([looks.claimable, looks.mayWait], [true, true]);
});

test("a claim made leaves more to claim only if the look saw work waiting", () => {
  const looks = new ClaimLooks();
  looks.looked(true, false, false, looks.mark());
  assert.deepEqual([looks.claimable, looks.mayWait], [false, false]);
  looks.looked(true, false, true, looks.mark());
  assert.deepEqual([looks.claimable, looks.mayWait], [true, true]);
});

test("work made while a call was in flight wins over what the call saw; a reconnection forgets it all", () => {
  const looks = new ClaimLooks();
  const mark = looks.mark();
  looks.workMade();
  looks.looked(false, false, false, mark);
  assert.deepEqual([looks.claimable, looks.mayWait], [true, true]);
  looks.looked(false, false, false, looks.mark());
  looks.forget();
  assert.deepEqual([looks.claimable, looks.mayWait], [true, true]);
});
