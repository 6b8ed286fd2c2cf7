/**
 * A front of a Redis deployment keeps the owner records of the sessions it holds alive while they
 * are in use without requests (a stream waiting for a queued event): the records of an app that
 * writes no State last only as long as the session's messages (RedisSessionOwners.keepsState).
 * What it keeps of a session it served alone goes when the session ends, not at the sweep.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ClusterSessionHub } from "../../src/server/ClusterSessionHub.ts";
import { SessionRelay } from "../../src/server/SessionRelay.ts";
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

test("a session served here alone is let go as soon as it ends; a shared one at the sweep", async () => {
  const clock = new ManualClock();
  const relay = new SessionRelay(soloBus());
  const hub = new ClusterSessionHub({
    clock,
    engine: { cancelSession: async () => 1 },
    sessionGraceMs: 100,
    heartbeatMs: 15_000,
    bus: soloBus(),
    relay,
  });
  relay.connect(hub.deliver);
  const completed = (sessionHash: string, eventId: string) =>
    ({ type: "completed", eventId, sessionHash, output: null, durationMs: 1, averageDurationMs: 1 }) as const;
  try {
    // Joined and read here alone: its final goes straight to the stream (no store on the way).
    hub.expect("alone", "a1");
    const alone = new CuttableSink();
    assert.equal(hub.attach("alone", alone), true);
    relay.publish(completed("alone", "a1"));
    // The stream ends once the store settled the final (a round trip; none here).
    await clock.advance(0);
    assert.deepEqual(
      alone.written.map((e) => e.eventId),
      ["a1"],
    );
    assert.equal(hub.knows("alone"), false);
    // Nothing of it waits for the sweep: five seconds of one-shot visitors would all be kept.
    assert.equal(relay.size, 0);

    // A stream opened for a session this front did not know: it caught up with the store's log,
    // and the store lets it go (with the other fronts) at the sweep.
    const shared = new CuttableSink();
    assert.equal(hub.attach("shared", shared), true);
    await clock.advance(0);
    hub.expect("shared", "s1");
    relay.publish(completed("shared", "s1"));
    await clock.advance(100);
    assert.equal(shared.finished, true);
    assert.equal(hub.knows("shared"), false);
    assert.equal(relay.size, 1);
    await clock.advance(5000);
    assert.equal(relay.size, 0);
  } finally {
    hub.close();
  }
});
