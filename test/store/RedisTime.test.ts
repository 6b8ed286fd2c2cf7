import assert from "node:assert/strict";
import { test } from "node:test";
import { RedisTime } from "../../src/store/RedisTime.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";

test("estimates Redis' clock from a heartbeat, never before the time Redis read", async () => {
  const clock = new ManualClock();
  const time = new RedisTime(15_000, clock);
  assert.equal(time.nowMs(), "", "no heartbeat yet: the scripts ask Redis");
  const sentAtMs = clock.now();
  await clock.advance(2);
  const redisMs = 1_700_000_000_000;
  time.sample(sentAtMs, redisMs);
  const estimate = time.nowMs();
  assert.equal(typeof estimate, "number");
  // Redis read its clock at most 2 ms after the heartbeat was sent: at least that much later now.
  assert.equal(estimate, redisMs + 2);
  await clock.advance(15_001);
  assert.equal(time.nowMs(), "", "a heartbeat older than a lease: none");
  time.sample(clock.now(), redisMs + 20_000);
  assert.equal(time.nowMs(), redisMs + 20_000, "a fresh heartbeat: a fresh estimate");
  time.reset();
  assert.equal(time.nowMs(), "", "after a break of the connection: none");
});

test("gives no estimate from a heartbeat slower than a tenth of a lease", async () => {
  const clock = new ManualClock();
  const time = new RedisTime(1000, clock);
  const sentAtMs = clock.now();
  await clock.advance(101);
  time.sample(sentAtMs, 1_700_000_000_000);
  assert.equal(time.nowMs(), "");
});
