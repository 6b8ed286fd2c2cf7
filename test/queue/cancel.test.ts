import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsherError } from "../../src/errors.ts";
import { Channel, FakeFn, SlowEnqueueStore, join, makeEngine, settle } from "./helpers.ts";

describe("QueueEngine cancellation", () => {
  it("removes a waiting event, emits cancelled once, and lets the queue go on", async () => {
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f]);
    for (const id of ["a", "b", "c"]) await join(engine, 0, id);
    assert.equal(await engine.cancel("b"), true);
    assert.equal(await engine.cancel("b"), false, "already ended");
    assert.equal(await engine.cancel("nope"), false, "unknown");
    assert.deepEqual(rec.types("b"), ["estimation", "cancelled"]);
    assert.equal(rec.ofType("cancelled", "b")[0]?.reason, "user");
    assert.equal(await engine.size(), 1);
    f.last().resolve();
    await settle();
    assert.deepEqual(rec.startedOrder(), ["a", "c"]);
    await engine.close({ graceMs: 0 });
  });

  it("ends a running event at once, drops its late output, aborts its signal, and keeps its slot until the call settles", async () => {
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    await join(engine, 0, "b");
    const call = f.last();
    assert.equal(await engine.cancel("a", "disconnect"), true);
    assert.deepEqual(rec.types("a"), ["estimation", "started", "cancelled"]);
    assert.equal(rec.ofType("cancelled", "a")[0]?.reason, "disconnect");
    assert.equal(call.ctx.signal.aborted, true);
    assert.ok(call.ctx.signal.reason instanceof UsherError);
    assert.equal((call.ctx.signal.reason as UsherError).code, "CANCELLED");
    // The function ignores its signal: b must not start until it really returns.
    await settle();
    assert.deepEqual(rec.startedOrder(), ["a"]);
    assert.equal(engine.isActive("a"), false);
    call.resolve();
    await settle();
    assert.deepEqual(rec.types("a"), ["estimation", "started", "cancelled"], "nothing after the terminal event");
    assert.deepEqual(rec.startedOrder(), ["a", "b"]);
    assert.equal(engine.averageDurationMs(0), null, "a cancelled run is not recorded");
    await engine.close({ graceMs: 0 });
  });

  it("aborts a batch only when all of its events are cancelled", async () => {
    const b = new FakeFn(0, { batch: true, maxBatchSize: 3 });
    const blocker = new FakeFn(1);
    const { engine, rec } = makeEngine([b, blocker]);
    await join(engine, 1, "block");
    for (const id of ["x", "y", "z"]) await join(engine, 0, id);
    blocker.last().resolve();
    await settle();
    const call = b.last();
    assert.deepEqual(call.inputs, ["x", "y", "z"]);
    await engine.cancel("y");
    assert.equal(call.ctx.signal.aborted, false);
    call.resolve(["X", "Y", "Z"]);
    await settle();
    assert.deepEqual(
      ["x", "y", "z"].map((id) => rec.terminal(id)?.type),
      ["completed", "cancelled", "completed"],
    );
    assert.equal(rec.ofType("completed", "z")[0]?.output, "Z");

    for (const id of ["p", "q"]) await join(engine, 0, id);
    const call2 = b.last();
    assert.deepEqual(call2.inputs, ["p"], "p started alone as the pool was free");
    await engine.cancel("p");
    assert.equal(call2.ctx.signal.aborted, true);
    call2.resolve();
    await settle();
    await engine.close({ graceMs: 0 });
  });

  it("closes a stream when its event is cancelled and holds the slot until the stream settles", async () => {
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    await join(engine, 0, "b");
    const ch = new Channel();
    f.last().resolveWith({ kind: "stream", chunks: ch });
    ch.push("one");
    await settle();
    await engine.cancel("a");
    assert.equal(ch.returned, true);
    await settle();
    assert.deepEqual(rec.types("a"), ["estimation", "started", "generating", "cancelled"]);
    assert.deepEqual(rec.startedOrder(), ["a", "b"], "the closed stream settled, freeing the slot");
    await engine.close({ graceMs: 0 });
  });

  it("cancels a session's waiting and running events and returns how many", async () => {
    const f = new FakeFn(0);
    const g = new FakeFn(1, { concurrencyLimit: 2 });
    const { engine, rec } = makeEngine([f, g]);
    await join(engine, 0, "s1", { sessionHash: "S" }); // running
    await join(engine, 0, "o1", { sessionHash: "O" });
    await join(engine, 0, "s2", { sessionHash: "S" }); // waiting
    await join(engine, 1, "s3", { sessionHash: "S" }); // running in another pool
    await join(engine, 1, "o2", { sessionHash: "O" });
    assert.equal(await engine.cancelSession("S"), 3);
    for (const id of ["s1", "s2", "s3"]) assert.equal(rec.ofType("cancelled", id)[0]?.reason, "disconnect");
    assert.equal(engine.isActive("o1"), true);
    assert.equal(engine.isActive("o2"), true);
    assert.equal(await engine.cancelSession("S"), 0);
    assert.equal(await engine.cancelSession("nobody"), 0);
    await engine.close({ graceMs: 0 });
  });

  it("finishes a cancel that arrives while the store is still admitting the event", async () => {
    const store = new SlowEnqueueStore();
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f], { store });
    const joining = engine.join({ fnId: 0, eventId: "a", sessionHash: "s", data: 1, rootUrl: "" });
    await settle();
    assert.equal(engine.isActive("a"), true);
    assert.equal(await engine.cancel("a"), true);
    store.held.shift()?.();
    assert.deepEqual(await joining, { eventId: "a", rank: 0, queueSize: 1 });
    await settle();
    assert.deepEqual(rec.types("a"), ["cancelled"]);
    assert.equal(f.calls.length, 0);
    assert.equal(await engine.size(), 0);
    await engine.close();
  });
});
