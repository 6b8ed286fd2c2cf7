import assert from "node:assert/strict";
import { test } from "node:test";
import { RedisTime } from "../../src/store/RedisTime.ts";

test("estimates Redis' clock from a heartbeat, never before the time Redis read", () => {
  const time = new RedisTime(15_000);
  assert.equal(time.nowMs(), "", "no heartbeat yet: the scripts ask Redis");
  const sentAtMs = performance.now() - 2;
  const redisMs = 1_700_000_000_000;
  time.sample(sentAtMs, redisMs);
  const estimate = time.nowMs();
  assert.equal(typeof estimate, "number");
  // Redis read its clock at most 2 ms after the heartbeat was sent: at least that much later now.
  assert.ok((estimate as number) >= redisMs + 2, String(estimate));
  assert.ok((estimate as number) < redisMs + 1_000, String(estimate));
  time.reset();
  assert.equal(time.nowMs(), "", "after a break of the connection: none");
});

test("gives no estimate from a heartbeat slower than a tenth of a lease", () => {
  const time = new RedisTime(1000);
  time.sample(performance.now() - 150, 1_700_000_000_000);
  assert.equal(time.nowMs(), "");
});
