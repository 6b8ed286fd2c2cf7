/**
 * When a front's stream ends for being idle (ClusterSessionHub). Both cases were found by the
 * non-sticky harness (test/cluster/nonSticky.test.ts), each a stream that never got its event:
 * - a session held with other fronts ends when the store shows it idle (two looks). A look's answer
 *   comes on the store's command connection, the session's messages on its subscriber connection:
 *   an answer may list an event whose final the stream has written already;
 * - a session served here alone ends on the word of its last final's release (were other events
 *   of the session pending?). A final kept for a stream that opened later carries an old word: the
 *   client may have joined through another front since.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineEvent } from "../../src/queue/index.ts";
import { ClusterSessionHub } from "../../src/server/ClusterSessionHub.ts";
import type { SessionBus, SessionMessage } from "../../src/store/index.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import { CuttableSink } from "../helpers/CuttableSink.ts";
import { clusterHub, relayedHub, soloBus } from "../helpers/soloBus.ts";

/** A bus whose pending looks the test answers, one by one, and whose messages the test sends. */
function lookingBus() {
  let onMessage: (sessionHash: string, message: SessionMessage) => void = () => undefined;
  const looks: ((pending: string[]) => void)[] = [];
  const bus = {
    ...soloBus(),
    deliversHere: () => false,
    onMessage: (l: typeof onMessage) => ((onMessage = l), () => undefined),
    adopt: async () => ({ pending: ["e1"], running: [], backlog: [] }),
    pendingEvents: (_sessionHash: string) => new Promise<string[]>((resolve) => looks.push(resolve)),
  } as SessionBus;
  return { bus, looks, send: (id: string, event: EngineEvent) => onMessage(event.sessionHash, { id, event }) };
}

const H = "S";
const started = (eventId: string): EngineEvent => ({ type: "started", eventId, sessionHash: H, etaMs: null });
const completed = (eventId: string): EngineEvent => ({
  type: "completed",
  eventId,
  sessionHash: H,
  output: null,
  durationMs: 1,
  averageDurationMs: 1,
});

/**
 * A stream opened through this front for a session joined through another (caught up, shared),
 * its event e1 ended: the first look found nothing pending, the second is out, unanswered.
 */
async function secondLookOut() {
  const clock = new ManualClock();
  const { bus, looks, send } = lookingBus();
  const { hub } = relayedHub(clock, bus);
  assert.equal(await hub.adopt(H), true);
  const stream = new CuttableSink();
  assert.equal(hub.attach(H, stream), true);
  send("1-0", completed("e1"));
  await clock.advance(0);
  assert.equal(looks.length, 1);
  looks.shift()?.([]);
  await clock.advance(25);
  assert.equal(looks.length, 1);
  return { clock, hub, looks, send, stream };
}

test("a look answered after a final it still lists as pending does not hold the stream open", async () => {
  const { clock, hub, looks, send, stream } = await secondLookOut();
  try {
    // Meanwhile a join through another front, run at once: its messages come before the answer.
    send("2-0", started("e2"));
    send("2-1", completed("e2"));
    await clock.advance(0);
    assert.deepEqual(
      stream.written.map((e) => `${e.type} ${e.eventId}`),
      ["completed e1", "started e2", "completed e2"],
    );
    // The answer was read in Redis before e2's release: e2 is still pending there.
    looks.shift()?.(["e2"]);
    await clock.advance(0);
    // Nothing is pending for this stream any more: it ends (before the fix, it waited for e2 for ever).
    while (looks.length > 0) looks.shift()?.([]);
    await clock.advance(100);
    while (looks.length > 0) looks.shift()?.([]);
    await clock.advance(100);
    assert.equal(stream.finished, true);
    assert.equal(hub.has(H, "e2"), false);
  } finally {
    hub.close();
  }
});

test("a look that lists an event the stream has not had yet keeps it open until that event ends", async () => {
  const { clock, hub, looks, send, stream } = await secondLookOut();
  try {
    // Joined through another front just after the first look, nothing of it here yet.
    looks.shift()?.(["e3"]);
    await clock.advance(1000);
    assert.equal(stream.finished, false);
    assert.equal(hub.has(H, "e3"), true);
    send("3-0", completed("e3"));
    await clock.advance(0);
    while (looks.length > 0) looks.shift()?.([]);
    await clock.advance(25);
    while (looks.length > 0) looks.shift()?.([]);
    await clock.advance(0);
    assert.equal(stream.finished, true);
  } finally {
    hub.close();
  }
});

test("a stream that finds only finals kept for it catches up with the store unless the session is held solo", async () => {
  for (const solo of [false, true]) {
    const clock = new ManualClock();
    const asked: string[] = [];
    const bus = {
      ...soloBus(),
      // e1's release, long ago: nothing else pending then. e2 was joined through another front since.
      othersPending: () => false,
      heldSolo: () => solo,
      pendingEvents: async () => (asked.push("pending"), ["e2"]),
      adopt: async () => (asked.push("adopt"), { pending: ["e2"], running: [], backlog: [] }),
    } as SessionBus;
    const hub = clusterHub(clock, bus);
    try {
      hub.expect(H, "e1");
      hub.deliver(completed("e1"));
      const stream = new CuttableSink();
      assert.equal(hub.attach(H, stream), true);
      await clock.advance(0);
      assert.deepEqual(
        stream.written.map((e) => e.eventId),
        ["e1"],
      );
      if (solo) {
        // Another front that joins it would have said so: the release's word holds, nothing asked.
        assert.deepEqual(asked, []);
        assert.equal(stream.finished, true);
      } else {
        // The stream catches up, and waits for e2 instead of ending without it.
        assert.equal(asked[0], "adopt");
        assert.equal(stream.finished, false, "the stream waits for e2");
        assert.equal(hub.has(H, "e2"), true);
      }
    } finally {
      hub.close();
    }
  }
});

test("a session the relay let go of is no longer taken here for one held with the others", async () => {
  const clock = new ManualClock();
  let onMessage: (sessionHash: string, message: SessionMessage) => void = () => undefined;
  const adopted: string[][] = [];
  let storePending = ["e1"];
  const bus = {
    ...soloBus(),
    deliversHere: () => false,
    heldSolo: () => false,
    onMessage: (l: typeof onMessage) => ((onMessage = l), () => undefined),
    adopt: async () => (adopted.push(storePending), { pending: storePending, running: [], backlog: [] }),
    pendingEvents: async () => storePending,
    othersPending: () => storePending.length > 0,
  } as SessionBus;
  const { hub } = relayedHub(clock, bus);
  const send = (id: string, event: EngineEvent) => onMessage(event.sessionHash, { id, event });
  try {
    // Read here, joined elsewhere: held with the others; the stream ends with e1.
    assert.equal(await hub.adopt(H), true);
    const first = new CuttableSink();
    assert.equal(hub.attach(H, first), true);
    storePending = [];
    send("1-0", completed("e1"));
    await clock.advance(25);
    assert.equal(first.finished, true);
    assert.equal(hub.knows(H), false);
    // A message of another event comes before the sweep: the relay lets the session go, in the store too.
    send("2-0", started("e5"));
    assert.equal(hub.knows(H), false);
    // The user joins here (e2) while e9, joined through another front, waits: only a catch-up
    // brings e9's messages here now.
    storePending = ["e9"];
    hub.expect(H, "e2");
    const second = new CuttableSink();
    assert.equal(hub.attach(H, second), true);
    hub.deliver(completed("e2"));
    await clock.advance(100);
    assert.deepEqual(
      second.written.map((e) => e.eventId),
      ["e2"],
    );
    assert.equal(second.finished, false, "the stream waits for e9");
    assert.deepEqual(adopted.at(-1), ["e9"], "caught up again: e9's messages come here");
  } finally {
    hub.close();
  }
});

test("a stream's adoption that found nothing in the store, the session known here by a join meanwhile, is not held with the others", async () => {
  const clock = new ManualClock();
  const adopts: boolean[] = [];
  let hub: ClusterSessionHub | null = null;
  const bus = {
    ...soloBus(),
    heldSolo: () => false,
    adopt: async (_sessionHash: string, hold = false) => {
      // The user's join lands here while the store is asked: it finds nothing, and does not take this front.
      if (adopts.push(hold) === 1) hub?.expect(H, "e1");
      return { pending: hold ? ["e9"] : [], running: [], backlog: [] };
    },
    // e9 was joined through another front: the release of e1 says so, and a look would list it.
    othersPending: () => true,
    pendingEvents: async () => ["e9"],
  } as SessionBus;
  hub = clusterHub(clock, bus);
  try {
    assert.equal(await hub.adopt(H), true);
    const stream = new CuttableSink();
    assert.equal(hub.attach(H, stream), true);
    hub.deliver(completed("e1"));
    await clock.advance(100);
    assert.equal(stream.finished, false, "the stream waits for e9");
    // Caught up, with the store taking this front among the holders: e9's messages come here.
    assert.deepEqual(adopts, [false, true]);
  } finally {
    hub.close();
  }
});
