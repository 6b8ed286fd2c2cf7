import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EtaTail } from "../../src/queue/EtaTail.ts";
import { MinHeap } from "../../src/queue/MinHeap.ts";
import { MovingAverage } from "../../src/queue/MovingAverage.ts";
import { FakeFn, join, makeEngine, settle, type Recorder } from "./helpers.ts";

/** The first estimation of each event: [rank, queueSize, rankEtaMs]. */
function firstEstimations(rec: Recorder, ids: readonly string[]): [number, number, number | null][] {
  return ids.map((id) => {
    const e = rec.ofType("estimation", id)[0];
    if (e === undefined) throw new Error(`no estimation for ${id}`);
    return [e.rank, e.queueSize, e.rankEtaMs];
  });
}

describe("ETA (rankEtaMs = expected time until the result)", () => {
  it("simulates a 2-slot pool: running jobs end at start + average, waiting events take the earliest slot", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000 });
    const { engine, clock, rec } = makeEngine([f], { concurrencyCount: 2 });
    for (const id of ["e1", "e2", "e3", "e4", "e5"]) await join(engine, 0, id);
    assert.deepEqual(firstEstimations(rec, ["e1", "e2", "e3", "e4", "e5"]), [
      [0, 1, 1000], // starts now, ends at 1000
      [0, 1, 1000],
      [0, 1, 2000], // both slots busy until 1000
      [1, 2, 2000],
      [2, 3, 3000],
    ]);
    await clock.advance(400);
    await join(engine, 0, "e6");
    // Slots free at 2000 and 3000 (after e3, e4 / e5): e6 takes 2000 → ends 3000, 2600 ms from now.
    assert.deepEqual(firstEstimations(rec, ["e6"]), [[3, 4, 2600]]);
    // e1 ends early (600 ms): the average becomes 600 and e3 starts at once.
    await clock.advance(200);
    f.calls[0]?.resolve();
    await settle();
    assert.equal(engine.averageDurationMs(0), 600);
    await join(engine, 0, "e7");
    // Running: e2 (0 + 600 → free now, 600) and e3 (600 + 600 = 1200).
    // e4 → 600..1200, e5 → 1200..1800, e6 → 1200..1800, e7 → 1800..2400: 1800 ms from now.
    assert.deepEqual(firstEstimations(rec, ["e7"]), [[3, 4, 1800]]);
    assert.deepEqual(rec.ofType("started", "e3")[0]?.etaMs, 600);
    await engine.close({ graceMs: 0 });
  });

  it("forms batches the way claim will: the head plus the next events of its function", async () => {
    const b = new FakeFn(0, { batch: true, maxBatchSize: 2, expectedDurationMs: 1000 });
    const x = new FakeFn(1, { expectedDurationMs: 500 });
    const { engine, clock, rec } = makeEngine([b, x]);
    for (const [fn, id] of [
      [0, "b1"],
      [0, "b2"],
      [1, "x1"],
      [0, "b3"],
      [0, "b4"],
      [1, "x2"],
    ] as const)
      await join(engine, fn, id);
    assert.deepEqual(firstEstimations(rec, ["b1", "b2", "x1", "b3", "b4", "x2"]), [
      [0, 1, 1000], // runs alone now
      [0, 1, 2000], // batch [b2, b3] after b1
      [1, 2, 2500], // x1 after that batch
      [2, 3, 2000], // joins b2's batch
      [3, 4, 3500], // a new batch after x1
      [4, 5, 4000],
    ]);
    // And that is indeed how they run.
    await clock.advance(1000);
    b.last().resolve();
    await settle();
    assert.deepEqual(b.last().inputs, ["b2", "b3"]);
    await clock.advance(1000);
    b.last().resolve();
    await settle();
    assert.deepEqual(x.last().inputs, ["x1"]);
    await engine.close({ graceMs: 0 });
  });

  it("gives null while a function's duration is unknown, and counts unknown running jobs as ending now", async () => {
    const u = new FakeFn(0); // no expectedDurationMs
    const k = new FakeFn(1, { expectedDurationMs: 100 });
    const { engine, rec } = makeEngine([u, k]);
    for (const [fn, id] of [
      [0, "u1"],
      [1, "k1"],
      [0, "u2"],
      [1, "k2"],
    ] as const)
      await join(engine, fn, id);
    assert.deepEqual(firstEstimations(rec, ["u1", "k1", "u2", "k2"]), [
      [0, 1, null],
      [0, 1, 100],
      [1, 2, null],
      [2, 3, 200],
    ]);
    assert.equal(rec.ofType("started", "u1")[0]?.etaMs, null);
    await engine.close({ graceMs: 0 });
  });

  it("gives an unlimited pool maxThreads slots", async () => {
    const f = new FakeFn(0, { concurrencyLimit: null, expectedDurationMs: 1000 });
    const { engine, rec } = makeEngine([f], { maxThreads: 3 });
    const ids = ["e1", "e2", "e3", "e4", "e5", "e6", "e7"];
    for (const id of ids) await join(engine, 0, id);
    assert.deepEqual(firstEstimations(rec, ids), [
      [0, 1, 1000],
      [0, 1, 1000],
      [0, 1, 1000],
      [0, 1, 2000],
      [1, 2, 2000],
      [2, 3, 2000],
      [3, 4, 3000],
    ]);
    await engine.close({ graceMs: 0 });
  });

  it("keeps pools apart: another pool's queue does not delay this one", async () => {
    const a = new FakeFn(0, { expectedDurationMs: 1000 });
    const b = new FakeFn(1, { concurrencyLimit: 1, expectedDurationMs: 300 });
    const { engine, rec } = makeEngine([a, b]);
    for (const id of ["a1", "a2", "a3"]) await join(engine, 0, id);
    await join(engine, 1, "b1");
    await join(engine, 1, "b2");
    assert.deepEqual(firstEstimations(rec, ["a3", "b1", "b2"]), [
      [1, 2, 3000],
      [0, 1, 300],
      [0, 1, 600],
    ]);
    await engine.close({ graceMs: 0 });
  });

  it("EtaTail places appended events like a walk, and MinHeap pops in order", () => {
    const t = new EtaTail(100, 2, [50, 400]);
    // Free slots: max(50, 100) = 100 and 400.
    assert.equal(t.place(1, 200, 1, 100), 300); // slots: 300, 400
    assert.equal(t.place(1, 200, 1, 100), 500); // slots: 400, 500
    assert.equal(t.place(2, 50, 3, 100), 450); // a batch of up to 3 opens at 400
    assert.equal(t.place(2, 50, 3, 100), 450);
    assert.equal(t.place(2, 50, 3, 100), 450);
    assert.equal(t.place(2, 50, 3, 100), 500); // full: the next batch takes the slot free at 450
    assert.equal(t.place(3, null, 1, 100), null);
    const h = new MinHeap();
    for (const v of [5, 1, 4, 1, 3, 9, 2, 6]) h.push(v);
    const out: (number | undefined)[] = [];
    while (h.size > 0) out.push(h.pop());
    assert.deepEqual(out, [1, 1, 2, 3, 4, 5, 6, 9]);
    assert.equal(h.pop(), undefined);
  });

  it("MovingAverage: seed until the first call, then the mean of the last 20 calls", () => {
    const m = new MovingAverage(500);
    assert.equal(m.valueMs, 500);
    m.record(100);
    assert.equal(m.valueMs, 100);
    m.record(300);
    assert.equal(m.valueMs, 200);
    for (let i = 0; i < 20; i++) m.record(1000);
    assert.equal(m.valueMs, 1000, "old samples leave the window");
    assert.equal(new MovingAverage().valueMs, null);
  });
});
