import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError, UsherError } from "../../src/errors.ts";
import { Channel, FakeFn, join, makeEngine, settle } from "./helpers.ts";

const info = { sessionHash: "direct", rootUrl: "http://127.0.0.1:7860", meta: {} };

describe("QueueEngine.runDirect and maxThreads", () => {
  it("returns the output, duration and average, and emits no engine events", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 50 });
    const { engine, clock, rec } = makeEngine([f]);
    const p = engine.runDirect(0, ["x"], info);
    await settle();
    const call = f.last();
    assert.deepEqual(call.inputs, [["x"]]);
    assert.equal(call.ctx.events.length, 1);
    assert.match(call.ctx.events[0]?.eventId ?? "", /^[0-9a-f]{32}$/);
    call.ctx.progress([{ index: 1, length: 2, unit: "steps", progress: null, desc: null }]);
    call.ctx.log("info", "ignored");
    await clock.advance(30);
    call.resolve(["y"]);
    assert.deepEqual(await p, { output: "y", durationMs: 30, averageDurationMs: 30 });
    assert.equal(rec.events.length, 0);
    await engine.close();
  });

  it("drains a stream and returns its last chunk", async () => {
    const f = new FakeFn(0);
    const { engine } = makeEngine([f]);
    const p = engine.runDirect(0, [], info);
    await settle();
    const ch = new Channel();
    f.last().resolveWith({ kind: "stream", chunks: ch });
    ch.push(1);
    ch.push(2);
    ch.end();
    assert.equal((await p).output, 2);
    await engine.close();
  });

  it("counts runDirect calls toward maxThreads and queues them FIFO when threads are full", async () => {
    const q = new FakeFn(0);
    const d = new FakeFn(1, { concurrencyLimit: null });
    const { engine, rec } = makeEngine([q, d], { concurrencyCount: 2, maxThreads: 2 });
    const d1 = engine.runDirect(1, "d1", info);
    await join(engine, 0, "q1");
    await join(engine, 0, "q2");
    assert.equal(d.pending.length, 1);
    assert.equal(q.pending.length, 1, "one thread left for the queue");
    const d2 = engine.runDirect(1, "d2", info);
    const d3 = engine.runDirect(1, "d3", info);
    await settle();
    assert.equal(d.pending.length, 1, "d2 and d3 wait for a thread");
    // A freed thread goes to the oldest direct caller before the queue.
    q.last().resolve();
    await settle();
    assert.deepEqual(
      d.calls.map((c) => c.inputs[0]),
      ["d1", "d2"],
    );
    assert.deepEqual(rec.startedOrder(), ["q1"]);
    d.calls[0]?.resolve();
    await d1;
    await settle();
    assert.deepEqual(
      d.calls.map((c) => c.inputs[0]),
      ["d1", "d2", "d3"],
    );
    d.calls[1]?.resolve();
    d.calls[2]?.resolve();
    await Promise.all([d2, d3]);
    await settle();
    assert.deepEqual(rec.startedOrder(), ["q1", "q2"]);
    await engine.close({ graceMs: 0 });
  });

  it("shows AppError messages, hides other messages unless showError, and keeps codes", async () => {
    const f = new FakeFn(0);
    for (const showError of [false, true]) {
      const { engine } = makeEngine([f], { showError });
      const p1 = engine.runDirect(0, [], info);
      await settle();
      f.last().reject(new AppError("Bad image", { title: "Oops" }));
      await assert.rejects(
        p1,
        (e: unknown) =>
          e instanceof UsherError && e.code === "APP_ERROR" && e.message === "Bad image" && e.title === "Oops",
      );
      const p2 = engine.runDirect(0, [], info);
      await settle();
      f.last().reject(new Error("secret path /etc"));
      await assert.rejects(p2, (e: unknown) => {
        assert.ok(e instanceof UsherError);
        assert.equal(e.code, "FUNCTION_ERROR");
        assert.equal(e.message, showError ? "secret path /etc" : "Error");
        return true;
      });
      const p3 = engine.runDirect(0, [], info);
      await settle();
      f.last().resolve(["a", "b"]);
      await assert.rejects(p3, { code: "OUTPUT_SHAPE", message: "Function /fn0 returned 2 outputs for 1 input." });
      await engine.close();
    }
  });

  it("times out at timeoutMs but holds the thread until the function settles", async () => {
    const slow = new FakeFn(0, { timeoutMs: 500, concurrencyLimit: null });
    const { engine, clock } = makeEngine([slow], { maxThreads: 1 });
    const p = engine.runDirect(0, [], info);
    const rejected = assert.rejects(p, { code: "TIMEOUT", message: "Function /fn0 timed out after 500 ms." });
    await settle();
    const call = slow.last();
    await clock.advance(500);
    await rejected;
    assert.equal(call.ctx.signal.aborted, true);
    assert.equal((call.ctx.signal.reason as UsherError).code, "TIMEOUT");
    await join(engine, 0, "q");
    assert.equal(slow.calls.length, 1, "the thread is still held by the timed-out call");
    call.resolve();
    await settle();
    assert.equal(slow.calls.length, 2);
    await engine.close({ graceMs: 0 });
    assert.equal(clock.pending, 0, "close clears every timer");
  });

  it("refuses unknown functions and calls after close", async () => {
    const f = new FakeFn(0);
    const { engine } = makeEngine([f]);
    await assert.rejects(engine.runDirect(5, [], info), { code: "UNKNOWN_FUNCTION" });
    await engine.close();
    await assert.rejects(engine.runDirect(0, [], info), { code: "QUEUE_STOPPED" });
  });
});
