/**
 * A front of a Redis deployment keeps the owner records of the sessions it holds alive while they
 * are in use without requests (a stream waiting for a queued event): the records of an app that
 * writes no State last only as long as the session's messages (RedisSessionOwners.keepsState).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import { CuttableSink } from "../helpers/CuttableSink.ts";
import { clusterHub, soloBus } from "../helpers/soloBus.ts";

test("the cluster hub's sweep names the sessions still in use here, not those that ended", async () => {
  const clock = new ManualClock();
  const inUse: string[] = [];
  const hub = clusterHub(clock, soloBus(), { onSessionInUse: (h) => inUse.push(h) });
  try {
    // A stream open, its event queued: no request comes while it waits.
    hub.expect("waits", "w1");
    assert.equal(hub.attach("waits", new CuttableSink()), true);
    hub.expect("ends", "e1");
    hub.deliver({
      type: "completed",
      eventId: "e1",
      sessionHash: "ends",
      output: null,
      durationMs: 1,
      averageDurationMs: 1,
    });
    await clock.advance(5000);
    assert.deepEqual(inUse, ["waits"]);
    await clock.advance(5000);
    assert.deepEqual(inUse, ["waits", "waits"]);
  } finally {
    hub.close();
  }
});
