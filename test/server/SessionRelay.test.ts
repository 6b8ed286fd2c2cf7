import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineEvent } from "../../src/queue/index.ts";
import { SessionRelay } from "../../src/server/SessionRelay.ts";
import type { Adopted, SessionBus, SessionMessage } from "../../src/store/index.ts";

/** A bus that hands the relay what a test says: live messages, catch-ups, forgotten log entries. */
class FakeBus {
  message: (sessionHash: string, m: SessionMessage) => void = () => undefined;
  forgotten: (sessionHash: string, id: string) => void = () => undefined;
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
      onLogged: none,
      onUnlogged: none,
      adopt: async () => this.nextAdopt,
      leave: () => undefined,
      forgetRead: () => undefined,
      deliversHere: () => false,
      runsHere: () => false,
      endedHere: () => undefined,
    } as unknown as SessionBus;
  }
}

const final = (eventId: string): EngineEvent =>
  ({ type: "completed", eventId, sessionHash: "S", output: null, durationMs: 1, averageDurationMs: null }) as const;

function setUp(): { bus: FakeBus; relay: SessionRelay; delivered: string[] } {
  const bus = new FakeBus();
  const relay = new SessionRelay(bus.asBus());
  const delivered: string[] = [];
  relay.setHost({ accept: () => true, held: () => [], reading: () => true, left: () => undefined });
  relay.connect((e) => {
    if (e.type === "completed") delivered.push(e.eventId);
  });
  return { bus, relay, delivered };
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

test("an event told started at a catch-up gets no estimation after it, from the backlog or live", async () => {
  const bus = new FakeBus();
  const relay = new SessionRelay(bus.asBus());
  relay.setHost({ accept: () => true, held: () => [], reading: () => true, left: () => undefined });
  const delivered: string[] = [];
  relay.connect((e) => delivered.push(`${e.type} ${e.eventId}`));
  const estimation = (eventId: string): EngineEvent => ({
    type: "estimation",
    eventId,
    sessionHash: "S",
    rank: 0,
    queueSize: 1,
    rankEtaMs: null,
  });
  // E runs (claimed), its start went to its origin alone; the log holds its estimation from before.
  bus.nextAdopt = Promise.resolve({ pending: ["E"], running: ["E"], backlog: [{ id: "1-0", event: estimation("E") }] });
  await relay.adopt("S", () => true, true);
  bus.message("S", { id: "", event: estimation("E") });
  bus.message("S", { id: "2-0", event: final("E") });
  assert.deepEqual(delivered, ["started E", "completed E"]);
});

test("nothing of an event is delivered after its final, from its runner to its origin alone either", async () => {
  const { bus, relay } = setUp();
  const delivered: string[] = [];
  relay.connect((e) => delivered.push(`${e.type} ${e.eventId}`));
  bus.message("S", { id: "1-0", event: { ...final("E"), type: "cancelled" } as EngineEvent });
  // The job ran on elsewhere until the cancel reached it: its last output goes to the origin unlogged.
  bus.message("S", {
    id: "",
    event: { type: "generating", eventId: "E", sessionHash: "S", output: null } as EngineEvent,
  });
  assert.deepEqual(delivered, ["cancelled E"]);
});
