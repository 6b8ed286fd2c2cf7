import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ProgressUnit } from "../../src/queue/types.ts";
import { Channel, FakeFn, join, makeEngine, settle } from "./helpers.ts";

const step = (i: number): ProgressUnit[] => [{ index: i, length: 10, unit: "steps", progress: null, desc: null }];

describe("QueueEngine streams, progress and logs", () => {
  it("emits `generating` per chunk and `completed` with the last chunk", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000 });
    const { engine, clock, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    const ch = new Channel();
    f.last().resolveWith({ kind: "stream", chunks: ch });
    await clock.advance(10);
    ch.push(["h"]);
    await settle();
    await clock.advance(20);
    ch.push(["he"]);
    await settle();
    ch.end();
    await settle();
    const gen = rec.ofType("generating", "a");
    assert.deepEqual(
      gen.map((e) => [e.output, e.durationMs, e.averageDurationMs]),
      [
        [["h"], 10, 1000],
        [["he"], 30, 1000],
      ],
    );
    const done = rec.ofType("completed", "a")[0];
    assert.deepEqual([done?.output, done?.durationMs, done?.averageDurationMs], [["he"], 30, 30]);
    assert.deepEqual(rec.types("a"), ["estimation", "started", "generating", "generating", "completed"]);
    await engine.close();
  });

  it("completes an empty stream with a null output", async () => {
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    const ch = new Channel();
    f.last().resolveWith({ kind: "stream", chunks: ch });
    ch.end();
    await settle();
    assert.equal(rec.ofType("completed", "a")[0]?.output, null);
    await engine.close();
  });

  it("fails the event when the stream throws midway", async () => {
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f], { showError: true });
    await join(engine, 0, "a");
    const ch = new Channel();
    f.last().resolveWith({ kind: "stream", chunks: ch });
    ch.push(1);
    await settle();
    ch.fail(new Error("GPU fell over"));
    await settle();
    assert.deepEqual(rec.types("a"), ["estimation", "started", "generating", "failed"]);
    const t = rec.terminal("a");
    assert.equal(t?.type === "failed" ? t.error.message : null, "GPU fell over");
    await engine.close();
  });

  it("works with a real async generator, closing it (finally runs) on cancel", async () => {
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    let cleaned = false;
    let release: () => void = () => {};
    async function* gen(): AsyncGenerator<number> {
      try {
        yield 1;
        await new Promise<void>((r) => (release = r));
        yield 2;
      } finally {
        cleaned = true;
      }
    }
    f.last().resolveWith({ kind: "stream", chunks: gen() });
    await settle();
    await engine.cancel("a");
    assert.equal(cleaned, false, "the generator is busy; return() waits for its next step");
    release();
    await settle();
    assert.equal(cleaned, true);
    assert.deepEqual(rec.types("a"), ["estimation", "started", "generating", "cancelled"]);
    await engine.close();
  });

  it("sends the first progress at once, then at most one per 50 ms with the latest value", async () => {
    const f = new FakeFn(0);
    const { engine, clock, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    const ctx = f.last().ctx;
    ctx.progress(step(1));
    await clock.advance(10);
    ctx.progress(step(2));
    await clock.advance(10);
    ctx.progress(step(3)); // replaces 2
    await clock.advance(29);
    assert.deepEqual(
      rec.ofType("progress", "a").map((e) => e.progress[0]?.index),
      [1],
    );
    await clock.advance(1); // t = 50
    assert.deepEqual(
      rec.ofType("progress", "a").map((e) => e.progress[0]?.index),
      [1, 3],
    );
    await clock.advance(100);
    ctx.progress(step(4)); // quiet for 50 ms: sent at once
    assert.deepEqual(
      rec.ofType("progress", "a").map((e) => e.progress[0]?.index),
      [1, 3, 4],
    );
    // A pending value is flushed before the terminal event, never after it.
    await clock.advance(10);
    ctx.progress(step(5));
    f.last().resolve();
    await settle();
    assert.deepEqual(rec.types("a").slice(-3), ["progress", "progress", "completed"]);
    assert.deepEqual(
      rec.ofType("progress", "a").map((e) => e.progress[0]?.index),
      [1, 3, 4, 5],
    );
    ctx.progress(step(6));
    ctx.log("info", "late");
    await clock.advance(100);
    assert.equal(rec.types("a").at(-1), "completed", "calls after the job ended are ignored");
    assert.equal(clock.pending, 0);
    await engine.close();
  });

  it("flushes pending progress before a cancel", async () => {
    const f = new FakeFn(0);
    const { engine, clock, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    const ctx = f.last().ctx;
    ctx.progress(step(1));
    await clock.advance(5);
    ctx.progress(step(2));
    await engine.cancel("a");
    assert.deepEqual(rec.types("a"), ["estimation", "started", "progress", "progress", "cancelled"]);
    await clock.advance(100);
    assert.deepEqual(rec.types("a").at(-1), "cancelled");
    await engine.close({ graceMs: 0 });
  });

  it("sends logs at once with Gradio's defaults, to every live event of a batch", async () => {
    const b = new FakeFn(0, { batch: true });
    const blocker = new FakeFn(1);
    const { engine, rec } = makeEngine([b, blocker]);
    await join(engine, 1, "block");
    await join(engine, 0, "x");
    await join(engine, 0, "y");
    blocker.last().resolve();
    await settle();
    const ctx = b.last().ctx;
    ctx.log("warning", "careful");
    await engine.cancel("x");
    ctx.log("success", "done", { title: "Yay", durationMs: null, visible: false });
    ctx.log("info", "fyi");
    const logs = rec.ofType("log").map((e) => [e.eventId, e.level, e.message, e.title, e.durationMs, e.visible]);
    assert.deepEqual(logs, [
      ["x", "warning", "careful", "Warning", 10_000, true],
      ["y", "warning", "careful", "Warning", 10_000, true],
      ["y", "success", "done", "Yay", null, false],
      ["y", "info", "fyi", "Info", 10_000, true],
    ]);
    b.last().resolve(["X", "Y"]);
    await settle();
    await engine.close();
  });
});
