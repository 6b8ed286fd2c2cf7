import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Channel, FakeFn, join, makeEngine, settle } from "./helpers.ts";

describe("QueueEngine batching", () => {
  it("takes the head plus the next waiting events of the same function, at dispatch time, without waiting", async () => {
    const b = new FakeFn(0, { batch: true, maxBatchSize: 3 });
    const x = new FakeFn(1); // same default pool, not batching
    const { engine, rec } = makeEngine([b, x]);
    await join(engine, 0, "b1");
    // b1 started alone at once: batching never waits for companions.
    assert.deepEqual(b.last().inputs, ["b1"]);
    for (const [fn, id] of [
      [0, "b2"],
      [1, "x1"],
      [0, "b3"],
      [0, "b4"],
      [0, "b5"],
      [1, "x2"],
    ] as const)
      await join(engine, fn, id);
    b.last().resolve();
    await settle();
    assert.deepEqual(b.last().inputs, ["b2", "b3", "b4"]);
    b.last().resolve(["r2", "r3", "r4"]);
    await settle();
    assert.deepEqual(x.last().inputs, ["x1"]);
    x.last().resolve();
    await settle();
    assert.deepEqual(b.last().inputs, ["b5"], "a batch takes what waits, no more");
    b.last().resolve();
    await settle();
    x.last().resolve();
    await settle();
    assert.deepEqual(rec.startedOrder(), ["b1", "b2", "b3", "b4", "x1", "b5", "x2"]);
    assert.deepEqual(
      ["b2", "b3", "b4"].map((id) => rec.ofType("completed", id)[0]?.output),
      ["r2", "r3", "r4"],
    );
    assert.equal(b.calls.length, 3);
    await engine.close();
  });

  it("records one duration per batch call, not per event", async () => {
    const b = new FakeFn(0, { batch: true, maxBatchSize: 4 });
    const blocker = new FakeFn(1);
    const { engine, clock } = makeEngine([b, blocker]);
    await join(engine, 1, "block");
    for (const id of ["a", "b", "c"]) await join(engine, 0, id);
    blocker.last().resolve();
    await settle();
    await clock.advance(400);
    b.last().resolve();
    await settle();
    // The blocker's call took 0 ms; the batch 400 ms, counted once.
    assert.equal(engine.averageDurationMs(0), 400);
    await engine.close();
  });

  it("fails every event of a batch with BATCH_SHAPE when the outputs do not match the inputs", async () => {
    const b = new FakeFn(0, { batch: true, maxBatchSize: 4, name: "/classify" });
    const blocker = new FakeFn(1);
    const { engine, rec } = makeEngine([b, blocker]);
    await join(engine, 1, "block");
    for (const id of ["a", "b", "c", "d"]) await join(engine, 0, id);
    blocker.last().resolve();
    await settle();
    b.last().resolve(["1", "2", "3"]);
    await settle();
    for (const id of ["a", "b", "c", "d"]) {
      const t = rec.terminal(id);
      assert.equal(t?.type, "failed");
      assert.deepEqual(t?.type === "failed" ? t.error : null, {
        message: "Batched function /classify returned 3 outputs for 4 inputs.",
        title: "Error",
        durationMs: 10_000,
        visible: true,
        code: "BATCH_SHAPE",
      });
    }
    assert.equal(engine.averageDurationMs(0), null, "a failed call is not recorded");
    await engine.close();
  });

  it("fails a batch whose function returns a stream", async () => {
    const b = new FakeFn(0, { batch: true });
    const { engine, rec } = makeEngine([b]);
    await join(engine, 0, "a");
    const ch = new Channel();
    b.last().resolveWith({ kind: "stream", chunks: ch });
    await settle();
    const t = rec.terminal("a");
    assert.equal(t?.type === "failed" ? t.error.code : t?.type, "BATCH_SHAPE");
    assert.equal(ch.returned, true, "the stream nobody reads is closed");
    await engine.close();
  });

  it("never puts more than maxBatchSize events in one call", async () => {
    const b = new FakeFn(0, { batch: true, maxBatchSize: 2, concurrencyLimit: 1 });
    const { engine } = makeEngine([b]);
    for (const id of ["a", "b", "c", "d", "e"]) await join(engine, 0, id);
    const batches: unknown[][] = [];
    while (b.pending.length > 0) {
      const c = b.pending[0];
      batches.push([...(c?.inputs ?? [])]);
      c?.resolve();
      await settle();
    }
    assert.deepEqual(batches, [["a"], ["b", "c"], ["d", "e"]]);
    await engine.close();
  });
});
