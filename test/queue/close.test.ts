import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeFn, join, makeEngine, settle } from "./helpers.ts";

describe("QueueEngine.close", () => {
  it("cancels waiting events, lets running ones finish within the grace period, then stops", async () => {
    const f = new FakeFn(0, { timeoutMs: 60_000 });
    const { engine, clock, rec } = makeEngine([f], { concurrencyCount: 2, statusUpdateMs: 1000 });
    for (const id of ["a", "b", "c", "d"]) await join(engine, 0, id);
    let closed = false;
    const closing = engine.close({ graceMs: 1000 }).then(() => (closed = true));
    await settle();
    assert.deepEqual(
      ["c", "d"].map((id) => rec.ofType("cancelled", id)[0]?.reason),
      ["shutdown", "shutdown"],
    );
    await assert.rejects(engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "" }), { code: "QUEUE_STOPPED" });
    await clock.advance(500);
    f.calls[0]?.resolve();
    await settle();
    assert.equal(rec.terminal("a")?.type, "completed");
    assert.equal(closed, false, "b still runs");
    await clock.advance(500);
    await closing;
    assert.equal(rec.ofType("cancelled", "b")[0]?.reason, "shutdown");
    assert.equal(f.calls[1]?.ctx.signal.aborted, true);
    assert.equal(clock.pending, 0, "every timer cleared (rounds, grace, timeouts)");
    f.calls[1]?.resolve(); // the late result goes nowhere
    await settle();
    assert.deepEqual(rec.types("b"), ["estimation", "started", "cancelled"]);
    assert.equal(f.calls.length, 2, "nothing else starts");
  });

  it("resolves at once when idle, and is idempotent", async () => {
    const f = new FakeFn(0);
    const { engine, clock } = makeEngine([f]);
    await join(engine, 0, "a");
    f.last().resolve();
    await settle();
    const p1 = engine.close();
    const p2 = engine.close();
    assert.equal(p1, p2);
    await p1;
    assert.equal(clock.pending, 0);
  });

  it("resolves as soon as the running jobs finish, before the grace period ends", async () => {
    const f = new FakeFn(0);
    const { engine, clock, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    const closing = engine.close({ graceMs: 30_000 });
    await clock.advance(100);
    f.last().resolve();
    await closing;
    assert.equal(rec.terminal("a")?.type, "completed");
    assert.equal(clock.pending, 0);
  });
});
