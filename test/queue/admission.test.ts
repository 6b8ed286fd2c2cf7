import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsherError } from "../../src/errors.ts";
import { FakeFn, join, makeEngine, settle } from "./helpers.ts";

describe("QueueEngine admission", () => {
  it("refuses a join past maxSize waiting events with Gradio's message and a Retry-After from the ETA", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 5000 });
    const { engine, clock, rec } = makeEngine([f], { maxSize: 2 });
    await join(engine, 0, "a"); // running: does not count
    await join(engine, 0, "b");
    await join(engine, 0, "c");
    const refused = await engine
      .join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "", eventId: "d" })
      .catch((e: unknown) => e);
    assert.ok(refused instanceof UsherError);
    assert.equal(refused.code, "QUEUE_FULL");
    assert.equal(refused.status, 503);
    assert.equal(refused.message, "Queue is full. Max size is 2 and size is 2.");
    assert.equal(refused.detail, "Queue is full. Max size is 2 and size is 2.");
    assert.equal(refused.retryAfterS, 5, "a's call is expected to end in 5 s, freeing a place");
    assert.equal(engine.isActive("d"), false);
    assert.deepEqual(rec.of("d"), [], "a refused join emits nothing");
    await clock.advance(3500);
    const later = await engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "" }).catch((e: unknown) => e);
    assert.equal((later as UsherError).retryAfterS, 2);
    await clock.advance(10_000);
    const overdue = await engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "" }).catch((e: unknown) => e);
    assert.equal((overdue as UsherError).retryAfterS, 1, "never below 1 s");
    // A place frees when a waiting event starts.
    f.last().resolve();
    await settle();
    await join(engine, 0, "e");
    assert.equal(engine.isActive("e"), true);
    await engine.close({ graceMs: 0 });
  });

  it("says retry after 1 s when no duration is known", async () => {
    const f = new FakeFn(0);
    const { engine } = makeEngine([f], { maxSize: 0 });
    await assert.rejects(engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "" }), {
      code: "QUEUE_FULL",
      message: "Queue is full. Max size is 0 and size is 0.",
      retryAfterS: 1,
    });
    await engine.close();
  });

  it("counts waiting events of every pool toward maxSize", async () => {
    const a = new FakeFn(0);
    const b = new FakeFn(1, { concurrencyLimit: 1 });
    const { engine } = makeEngine([a, b], { maxSize: 2 });
    await join(engine, 0, "a1");
    await join(engine, 1, "b1");
    await join(engine, 0, "a2");
    await join(engine, 1, "b2");
    await assert.rejects(engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "" }), { code: "QUEUE_FULL" });
    await engine.close({ graceMs: 0 });
  });

  it("refuses joins after close with QUEUE_STOPPED", async () => {
    const f = new FakeFn(0);
    const { engine } = makeEngine([f]);
    await engine.close();
    await assert.rejects(engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "" }), { code: "QUEUE_STOPPED" });
  });
});
