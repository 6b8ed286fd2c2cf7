import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineEvent } from "../../src/queue/index.ts";
import { SessionRelay, UNREAD_FINAL_HOLD_MS } from "../../src/server/SessionRelay.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import type { Adopted, SessionBus, SessionMessage } from "../../src/store/index.ts";

/** A bus that hands the relay what a test says: live messages, catch-ups, forgotten log entries. */
class FakeBus {
  message: (sessionHash: string, m: SessionMessage) => void = () => undefined;
  forgotten: (sessionHash: string, id: string) => void = () => undefined;
  logged: (event: EngineEvent, id: string) => void = () => undefined;
  shared: (sessionHash: string) => void = () => undefined;
  /** Finals the relay asked the store to log (SessionBus.logFinal). */
  readonly logs: string[] = [];
  /** The next catch-up's answer; resolved by the test. */
  nextAdopt: Promise<Adopted> = Promise.resolve({ pending: [], running: [], backlog: [] });

  asBus(): SessionBus {
    const none = (): (() => void) => () => undefined;
    return {
      publish: () => undefined,
      publishForced: () => undefined,
      onMessage: (l: FakeBus["message"]) => ((this.message = l), () => undefined),
      onForgotten: (l: FakeBus["forgotten"]) => ((this.forgotten = l), () => undefined),
      onReconnect: none,
      onLogged: (l: FakeBus["logged"]) => ((this.logged = l), () => undefined),
      logFinal: (e: EngineEvent) => void this.logs.push(e.eventId),
      onUnlogged: none,
      onShared: (l: FakeBus["shared"]) => ((this.shared = l), () => undefined),
      adopt: async () => this.nextAdopt,
      leave: () => undefined,
      forgetRead: () => undefined,
      deliversHere: () => false,
      endedHere: () => undefined,
    } as unknown as SessionBus;
  }
}

const final = (eventId: string): EngineEvent =>
  ({ type: "completed", eventId, sessionHash: "S", output: null, durationMs: 1, averageDurationMs: null }) as const;

function setUp(host = { accept: true, reading: true }): {
  bus: FakeBus;
  relay: SessionRelay;
  delivered: string[];
  clock: ManualClock;
} {
  const bus = new FakeBus();
  const clock = new ManualClock();
  const relay = new SessionRelay(bus.asBus(), clock);
  const delivered: string[] = [];
  relay.setHost({ accept: () => host.accept, held: () => [], reading: () => host.reading });
  relay.connect((e) => {
    if (e.type === "completed") delivered.push(e.eventId);
  });
  return { bus, relay, delivered, clock };
}

const backlogOf = (...ms: SessionMessage[]): Promise<Adopted> =>
  Promise.resolve({ pending: [], running: [], backlog: ms });

test("a final that came live is forgotten once its log entry is gone (a later read of it is news again)", async () => {
  const { bus, relay, delivered } = setUp();
  bus.message("S", { id: "1-0", event: final("E") });
  bus.nextAdopt = backlogOf({ id: "1-0", event: final("E") });
  await relay.adopt("S", () => true, false);
  assert.deepEqual(delivered, ["E"], "remembered: the backlog's copy is dropped");
  bus.forgotten("S", "1-0");
  bus.nextAdopt = backlogOf({ id: "1-0", event: final("E") });
  await relay.adopt("S", () => true, false);
  assert.deepEqual(delivered, ["E", "E"], "forgotten: nothing is kept for it any more");
});

test("an entry gone during a catch-up stays remembered until that catch-up's backlog is delivered", async () => {
  const { bus, relay, delivered } = setUp();
  bus.message("S", { id: "1-0", event: final("E") });
  let answer: (a: Adopted) => void = () => undefined;
  bus.nextAdopt = new Promise((resolve) => (answer = resolve));
  const catchUp = relay.adopt("S", () => true, false);
  await null;
  // The catch-up read the log before the entry left it: its copy must still be recognized.
  bus.forgotten("S", "1-0");
  answer({ pending: [], running: [], backlog: [{ id: "1-0", event: final("E") }] });
  await catchUp;
  assert.deepEqual(delivered, ["E"]);
  bus.nextAdopt = backlogOf({ id: "1-0", event: final("E") });
  await relay.adopt("S", () => true, false);
  assert.deepEqual(delivered, ["E", "E"], "forgotten after the catch-up");
});

test("a final read from a backlog stays remembered: its live copy may still be on the way", async () => {
  const { bus, relay, delivered } = setUp();
  bus.nextAdopt = backlogOf({ id: "2-0", event: final("F") });
  await relay.adopt("S", () => true, false);
  bus.forgotten("S", "2-0");
  bus.message("S", { id: "2-0", event: final("F") });
  assert.deepEqual(delivered, ["F"]);
});

test("a final its runner sent here unlogged: a reader here gets it, and it is not logged", () => {
  const { bus, relay, delivered } = setUp();
  bus.message("S", { id: "", event: final("E"), unlogged: true });
  assert.deepEqual(delivered, ["E"]);
  assert.deepEqual(bus.logs, []);
  assert.equal(relay.size, 1);
});

test("a final its runner sent here unlogged with no reader here: delivered, and logged for a reader elsewhere once none came here", async () => {
  const { bus, relay, delivered, clock } = setUp({ accept: true, reading: false });
  bus.message("S", { id: "", event: final("E"), unlogged: true });
  assert.deepEqual(delivered, ["E"]);
  await clock.advance(UNREAD_FINAL_HOLD_MS - 1);
  assert.deepEqual(bus.logs, [], "waits for a reader here first");
  await clock.advance(1);
  assert.deepEqual(bus.logs, ["E"]);
  // Its logged copy does not come back through a catch-up here.
  bus.logged(final("E"), "3-0");
  bus.nextAdopt = backlogOf({ id: "3-0", event: final("E") });
  await relay.adopt("S", () => true, false);
  assert.deepEqual(delivered, ["E"]);
});

test("a final held for a reader here that one read is never logged, and nothing is kept of it", async () => {
  const host = { accept: true, reading: false };
  const { bus, relay, clock } = setUp(host);
  const relayedEvents: EngineEvent[] = [];
  relay.connect((e) => relayedEvents.push(e));
  bus.message("S", { id: "", event: final("E"), unlogged: true });
  // The stream reattached and read it (the hub reports the read of a final without a log id).
  relay.noteRead(relayedEvents[0] as EngineEvent);
  await clock.advance(UNREAD_FINAL_HOLD_MS);
  assert.deepEqual(bus.logs, []);
  assert.equal(relay.forgetEnded("S"), true, "nothing of the session is kept");
});

test("a final held for a reader here is logged at once when another process comes to hold the session, or the relay closes", () => {
  const { bus, relay } = setUp({ accept: true, reading: false });
  bus.message("S", { id: "", event: final("E"), unlogged: true });
  bus.shared("S");
  assert.deepEqual(bus.logs, ["E"]);
  bus.message("T", { id: "", event: { ...final("F"), sessionHash: "T" }, unlogged: true });
  relay.close();
  assert.deepEqual(bus.logs, ["E", "F"]);
});

test("a final its runner sent here unlogged for a session no longer held here: logged, not delivered, nothing kept", () => {
  const { bus, relay, delivered } = setUp({ accept: false, reading: false });
  bus.message("S", { id: "", event: final("E"), unlogged: true });
  assert.deepEqual(delivered, []);
  assert.deepEqual(bus.logs, ["E"]);
  assert.equal(relay.size, 0);
});
