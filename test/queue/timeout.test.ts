import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UsherError } from "../../src/errors.ts";
import { Channel, FakeFn, join, makeEngine, settle } from "./helpers.ts";

describe("QueueEngine timeouts", () => {
  it("fails the events at timeoutMs, aborts the signal, and holds the slot until the call settles", async () => {
    const f = new FakeFn(0, { timeoutMs: 500, name: "/slow" });
    const { engine, clock, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    await join(engine, 0, "b");
    const call = f.last();
    await clock.advance(499);
    assert.equal(rec.terminal("a"), undefined);
    await clock.advance(1);
    const t = rec.terminal("a");
    assert.equal(t?.type, "failed");
    assert.deepEqual(t?.type === "failed" ? t.error : null, {
      message: "Function /slow timed out after 500 ms.",
      title: "Error",
      durationMs: 10_000,
      visible: true,
      code: "TIMEOUT",
    });
    assert.equal(rec.of("a").at(-1)?.atMs, 500, "failed at the moment of the timeout");
    assert.equal(call.ctx.signal.aborted, true);
    assert.equal((call.ctx.signal.reason as UsherError).code, "TIMEOUT");
    assert.deepEqual(rec.startedOrder(), ["a"], "the slot is held while the call runs on");
    call.resolve();
    await settle();
    assert.deepEqual(rec.types("a"), ["estimation", "started", "failed"]);
    assert.deepEqual(rec.startedOrder(), ["a", "b"]);
    assert.equal(engine.averageDurationMs(0), null, "a timed-out run is not recorded");
    await engine.close({ graceMs: 0 });
  });

  it("clears the timer when the call finishes in time", async () => {
    const f = new FakeFn(0, { timeoutMs: 500 });
    const { engine, clock, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    await clock.advance(100);
    f.last().resolve();
    await settle();
    await clock.advance(1000);
    assert.equal(rec.terminal("a")?.type, "completed");
    assert.equal(clock.pending, 0);
    await engine.close();
  });

  it("times out a stream and closes it", async () => {
    const f = new FakeFn(0, { timeoutMs: 100 });
    const { engine, clock, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    const ch = new Channel();
    f.last().resolveWith({ kind: "stream", chunks: ch });
    ch.push(1);
    await settle();
    await clock.advance(100);
    assert.equal(ch.returned, true);
    assert.deepEqual(rec.types("a"), ["estimation", "started", "generating", "failed"]);
    await engine.close();
  });
});
