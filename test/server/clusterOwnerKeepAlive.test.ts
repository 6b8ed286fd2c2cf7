/**
 * A front of a Redis deployment keeps the owner records of the sessions it holds alive while they
 * are in use without requests (a stream waiting for a queued event): the records of an app that
 * writes no State last only as long as the session's messages (RedisSessionOwners.keepsState).
 * What it keeps of a session it served alone goes when the session ends, not at the sweep.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineEvent } from "../../src/queue/index.ts";
import type { SessionBus } from "../../src/store/index.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import { CuttableSink } from "../helpers/CuttableSink.ts";
import { clusterHub, relayedHub, soloBus } from "../helpers/soloBus.ts";

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

/**
 * {@link soloBus} whose releases answer as Redis's do for a final read here: not logged (the
 * relay hears it before the session's finals are settled), or, with `logged`, logged under an id
 * that leaves the log only when the test says so.
 */
function releasingBus(logged = false): { bus: SessionBus; forget: (sessionHash: string, id: string) => void } {
  let unlogged: (event: EngineEvent) => void = () => undefined;
  let loggedAs: (event: EngineEvent, id: string) => void = () => undefined;
  let forgotten: (sessionHash: string, id: string) => void = () => undefined;
  const ended: EngineEvent[] = [];
  const bus = {
    ...soloBus(),
    onUnlogged: (l: typeof unlogged) => ((unlogged = l), () => undefined),
    onLogged: (l: typeof loggedAs) => ((loggedAs = l), () => undefined),
    onForgotten: (l: typeof forgotten) => ((forgotten = l), () => undefined),
    endedHere: (event: EngineEvent) => void ended.push(event),
    whenSettled: (_sessionHash: string, then: () => void) => {
      for (const e of ended.splice(0)) {
        if (logged) loggedAs(e, `log-${e.eventId}`);
        else unlogged(e);
      }
      queueMicrotask(then);
    },
  } as SessionBus;
  return { bus, forget: (h, id) => forgotten(h, id) };
}

const completed = (sessionHash: string, eventId: string): EngineEvent => ({
  type: "completed",
  eventId,
  sessionHash,
  output: null,
  durationMs: 1,
  averageDurationMs: 1,
});

test("a session served here alone is let go as soon as it ends; a shared one at the sweep", async () => {
  const clock = new ManualClock();
  const { hub, relay } = relayedHub(clock, releasingBus().bus);
  try {
    // Joined and read here alone: its final goes straight to the stream (no store on the way).
    hub.expect("alone", "a1");
    const alone = new CuttableSink();
    assert.equal(hub.attach("alone", alone), true);
    relay.publish(completed("alone", "a1"));
    // The stream ends once the store settled the final (its release said: not logged).
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

test("a session whose final is still in the store's log is kept until the sweep: a catch-up must not deliver it again", async () => {
  const clock = new ManualClock();
  const { bus, forget } = releasingBus(true);
  const { hub, relay } = relayedHub(clock, bus);
  try {
    hub.expect("alone", "a1");
    assert.equal(hub.attach("alone", new CuttableSink()), true);
    relay.publish(completed("alone", "a1"));
    await clock.advance(0);
    assert.equal(hub.knows("alone"), false);
    // Logged, and its entry not gone yet: the relay still knows the event ended.
    assert.equal(relay.size, 1);
    forget("alone", "log-a1");
    await clock.advance(5000);
    assert.equal(relay.size, 0);
  } finally {
    hub.close();
  }
});
