import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ROUND_CLOCK_EVERY, ROUND_FIRST_SLICE_MAX, ROUND_SLICE_MS } from "../../src/queue/Estimator.ts";
import type { QueueEngine } from "../../src/queue/QueueEngine.ts";
import type { ManualClock } from "../../src/testing/ManualClock.ts";
import { FakeFn, join, makeEngine, settle, type FakeFnOptions, type Recorder } from "./helpers.ts";

/**
 * Status rounds larger than one slice (see the file comment of src/queue/Estimator.ts). The
 * manual clock does not move during synchronous work by itself: a listener makes every
 * estimation cost `costMs` of loop time (`clock.spend`), so a round yields after
 * ROUND_CLOCK_EVERY sends once a slice has used ROUND_SLICE_MS.
 */
interface Setup {
  engine: QueueEngine;
  clock: ManualClock;
  rec: Recorder;
  f: FakeFn;
  /** Loop time each estimation costs from now on, ms. */
  cost(ms: number): void;
}

/** `e0` runs, `e1`…`e<waiting>` wait; rounds are not sliced until `cost` is set. */
async function setup(waiting: number, fnOptions: FakeFnOptions = {}, statusUpdateMs = 0): Promise<Setup> {
  const f = new FakeFn(0, { expectedDurationMs: 1000, ...fnOptions });
  const { engine, clock, rec } = makeEngine([f], { statusUpdateMs });
  let costMs = 0;
  engine.on((e) => {
    if (e.type === "estimation") clock.spend(costMs);
  });
  for (let i = 0; i <= waiting; i++) await join(engine, 0, `e${i}`);
  await clock.advance(statusUpdateMs);
  return { engine, clock, rec, f, cost: (ms) => (costMs = ms) };
}

/** Estimations emitted since index `from` of the recorder. */
function estimationsSince(rec: Recorder, from: number): { eventId: string; rank: number; queueSize: number }[] {
  return rec.events.slice(from).flatMap((e) => (e.type === "estimation" ? [e] : []));
}

/** No estimation of an event follows its `started` or terminal event. */
function assertNothingAfterStart(rec: Recorder): void {
  const past = new Set<string>();
  for (const e of rec.events) {
    if (e.type === "estimation") assert.ok(!past.has(e.eventId), `estimation of ${e.eventId} after its start or end`);
    else if (e.type === "started" || e.type === "completed" || e.type === "failed" || e.type === "cancelled")
      past.add(e.eventId);
  }
}

const index = (eventId: string): number => Number(eventId.slice(1));

describe("sliced status rounds", () => {
  it("delivers a round larger than one slice completely and in pool order, across several yields", async () => {
    assert.ok(ROUND_CLOCK_EVERY * 1 >= ROUND_SLICE_MS, "at 1 ms per send a slice ends at its first clock check");
    const { engine, clock, rec, f, cost } = await setup(200);
    cost(1);
    const from = rec.events.length;
    f.last().resolve(); // e0 ends, e1 starts: e2…e200 move up a rank
    await settle();
    await clock.turn();
    const first = estimationsSince(rec, from).length;
    assert.ok(first > 0 && first < 199, `part of the round went out in the first turn (${first})`);
    assert.equal(clock.deferredCount, 1, "the rest waits for the next turn of the loop");
    let turns = 1;
    while (clock.deferredCount > 0) {
      const before = estimationsSince(rec, from).length;
      await clock.turn();
      const sent = estimationsSince(rec, from).length - before;
      assert.ok(sent <= ROUND_CLOCK_EVERY, `one slice per turn (${sent} sends)`);
      turns++;
    }
    // The first turn has two slices: the round's timer, then the deferred slice.
    assert.ok(turns >= Math.ceil(199 / ROUND_CLOCK_EVERY) - 1, `${turns} turns`);
    const sent = estimationsSince(rec, from);
    assert.deepEqual(
      sent.map((e) => index(e.eventId)),
      Array.from({ length: 199 }, (_, i) => i + 2),
      "each waiting event once, in pool order",
    );
    assert.deepEqual(
      sent.map((e) => [e.rank, e.queueSize]),
      Array.from({ length: 199 }, (_, i) => [i, 199]),
    );
    await clock.advance(0);
    assert.equal(estimationsSince(rec, from).length, 199, "no second round: nothing changed");
    await engine.close({ graceMs: 0 });
  });

  it("sizes a slice by the previous one's real time, when the writes' cost comes after the slice", async () => {
    // Like an HTTP response that hands its bytes to the kernel at the end of the tick: the sends
    // themselves cost nothing, the work after the slice 1 ms per send.
    const { engine, clock, rec, f } = await setup(1000);
    let owed = 0;
    engine.on((e) => {
      if (e.type !== "estimation") return;
      if (owed++ === 0)
        queueMicrotask(() => {
          clock.spend(owed);
          owed = 0;
        });
    });
    const from = rec.events.length;
    f.last().resolve();
    await settle();
    const perTurn: number[] = [];
    do {
      const before = estimationsSince(rec, from).length;
      await clock.turn();
      perTurn.push(estimationsSince(rec, from).length - before);
    } while (clock.deferredCount > 0);
    assert.equal(
      perTurn[0],
      ROUND_FIRST_SLICE_MAX + ROUND_CLOCK_EVERY,
      "the first slice, then one at the pace it showed",
    );
    assert.ok(
      perTurn.slice(1).every((n) => n <= ROUND_CLOCK_EVERY),
      `later slices at most ${ROUND_CLOCK_EVERY} sends: ${perTurn.join(" ")}`,
    );
    assert.equal(estimationsSince(rec, from).length, 999, "all of them in the end");
    await engine.close({ graceMs: 0 });
  });

  it("sends nothing to an event that starts or is cancelled between slices; a fresh round follows", async () => {
    // Batches of 100: when e1…e100 end, e101…e200 start at once, most of them not yet told by the round.
    const { engine, clock, rec, f, cost } = await setup(300, { batch: true, maxBatchSize: 100 });
    assert.deepEqual(f.last().inputs, ["e0"]);
    f.last().resolve(); // e1…e100 start; e101…e300 move up 100 ranks
    await settle();
    cost(1);
    const from = rec.events.length;
    await clock.turn();
    const told = new Set(estimationsSince(rec, from).map((e) => e.eventId));
    assert.ok(told.size > 0 && told.size < 100, `part of the round went out (${told.size})`);
    assert.ok(!told.has("e200") && !told.has("e250"));
    assert.equal(await engine.cancel("e250"), true);
    f.last().resolve(); // e1…e100 end: e101…e200 start
    await settle();
    assert.equal(rec.ofType("started", "e200").length, 1);
    assert.equal(rec.terminal("e250")?.type, "cancelled");
    await clock.advance(0);
    assertNothingAfterStart(rec);
    for (let i = 101; i <= 200; i++) {
      const id = `e${i}`;
      if (!told.has(id)) assert.equal(estimationsSince(rec, from).filter((e) => e.eventId === id).length, 0, id);
    }
    // The fresh round after the change: e201 is now first, e300 last of 99 (e250 left).
    const last = (id: string): { rank: number; queueSize: number } | undefined => rec.ofType("estimation", id).at(-1);
    assert.deepEqual([last("e201")?.rank, last("e201")?.queueSize], [0, 99]);
    assert.deepEqual([last("e300")?.rank, last("e300")?.queueSize], [98, 99]);
    await engine.close({ graceMs: 0 });
  });

  it("stops a round in flight when the engine closes", async () => {
    const { engine, clock, rec, f, cost } = await setup(200);
    cost(1);
    const from = rec.events.length;
    f.last().resolve();
    await settle();
    await clock.turn();
    assert.equal(clock.deferredCount, 1, "a round is between slices");
    const closing = engine.close({ graceMs: 0 });
    const atClose = rec.events.length;
    await clock.advance(0);
    await closing;
    assert.equal(estimationsSince(rec, atClose).length, 0, "no estimation after close");
    assert.ok(estimationsSince(rec, from).length < 199);
    for (let i = 2; i <= 200; i++) assert.equal(rec.terminal(`e${i}`)?.type, "cancelled");
    assertNothingAfterStart(rec);
    assert.equal(clock.deferredCount, 0);
    assert.equal(clock.pending, 0);
  });

  it("announces a join during a sliced round at once, and the next round includes it", async () => {
    const { engine, clock, rec, f, cost } = await setup(200);
    cost(1);
    const from = rec.events.length;
    f.last().resolve(); // e1 starts
    await settle();
    await clock.turn();
    assert.equal(clock.deferredCount, 1);
    const j = await engine.join({ fnId: 0, eventId: "late", sessionHash: "s-late", data: "late", rootUrl: "" });
    assert.deepEqual([j.rank, j.queueSize], [199, 200]);
    const own = rec.ofType("estimation", "late");
    assert.deepEqual(
      own.map((e) => [e.rank, e.queueSize]),
      [[199, 200]],
      "its own estimation, before the round's other slices",
    );
    assert.ok(estimationsSince(rec, from).length < 200, "the round was still going");
    await clock.advance(0);
    assert.equal(rec.ofType("estimation", "late").length, 1, "the round in flight did not walk it");
    assert.equal(estimationsSince(rec, from).filter((e) => e.eventId !== "late").length, 199);
    f.last().resolve(); // e1 ends, e2 starts: a new round
    await settle();
    await clock.advance(0);
    assert.deepEqual(
      rec.ofType("estimation", "late").map((e) => [e.rank, e.queueSize]),
      [
        [199, 200],
        [198, 199],
      ],
    );
    assertNothingAfterStart(rec);
    await engine.close({ graceMs: 0 });
  });

  it("keeps statusUpdateMs between two messages to one event when rounds take longer than a slice", async () => {
    const statusUpdateMs = 50;
    const { engine, clock, rec, f, cost } = await setup(200, {}, statusUpdateMs);
    cost(1); // a round of ~200 sends takes ~200 ms of loop time
    const from = rec.events.length;
    for (let k = 0; k < 4; k++) {
      f.last().resolve();
      await settle();
      await clock.advance(10);
    }
    await clock.advance(2000);
    const at = new Map<string, number[]>();
    for (const e of rec.events.slice(from)) {
      if (e.type === "estimation") at.set(e.eventId, [...(at.get(e.eventId) ?? []), e.atMs]);
    }
    assert.ok(at.size > 150);
    for (const [id, times] of at) {
      for (let i = 1; i < times.length; i++) {
        const gap = (times[i] as number) - (times[i - 1] as number);
        assert.ok(gap >= statusUpdateMs, `${id}: ${gap} ms between two estimations`);
      }
    }
    // Every waiting event ends up told its final rank.
    const e5 = rec.ofType("estimation", "e5").at(-1);
    assert.deepEqual([e5?.rank, e5?.queueSize], [0, 196]);
    assertNothingAfterStart(rec);
    await engine.close({ graceMs: 0 });
  });
});
