import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import type { StoreChange } from "../../src/queue/QueueStore.ts";
import { FakeFn, SlowEnqueueStore, callWith, join, makeEngine, settle } from "./helpers.ts";

/** A store shared with "another process" that can add work behind the engine's back and say so. */
class SharedStore extends MemoryStore {
  #listeners: ((change: StoreChange) => void)[] = [];
  override subscribe(listener: (change: StoreChange) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }
  wake(): void {
    for (const l of this.#listeners) l("work");
  }
}

describe("QueueEngine dispatch", () => {
  it("runs events of the shared pool in FIFO order, one at a time with concurrencyCount 1", async () => {
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f]);
    for (const id of ["a", "b", "c"]) await join(engine, 0, id);
    assert.deepEqual(rec.startedOrder(), ["a"]);
    assert.equal(f.pending.length, 1);
    callWith(f, "a").resolve();
    await settle();
    assert.deepEqual(rec.startedOrder(), ["a", "b"]);
    callWith(f, "b").resolve();
    await settle();
    callWith(f, "c").resolve();
    await settle();
    assert.deepEqual(rec.startedOrder(), ["a", "b", "c"]);
    assert.deepEqual(rec.types("a"), ["estimation", "started", "completed"]);
    assert.deepEqual(
      rec.ofType("completed").map((e) => [e.eventId, e.output]),
      [
        ["a", "out:a"],
        ["b", "out:b"],
        ["c", "out:c"],
      ],
    );
    await engine.close();
  });

  it("starts a freed slot's next event without any clock advance (no polling)", async () => {
    const f = new FakeFn(0);
    const { engine, clock, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    await join(engine, 0, "b");
    f.last().resolve(); // a's call (the only one)
    await settle();
    assert.deepEqual(rec.startedOrder(), ["a", "b"]);
    assert.equal(clock.now(), 0);
    await engine.close({ graceMs: 0 });
  });

  it("runs concurrencyCount events of the default pool in parallel", async () => {
    const f = new FakeFn(0);
    const { engine } = makeEngine([f], { concurrencyCount: 3 });
    for (let i = 0; i < 5; i++) await join(engine, 0, `e${i}`);
    assert.equal(f.pending.length, 3);
    f.pending[1]?.resolve();
    await settle();
    assert.equal(f.pending.length, 3);
    assert.deepEqual(
      f.calls.map((c) => c.inputs[0]),
      ["e0", "e1", "e2", "e3"],
    );
    await engine.close({ graceMs: 0 });
  });

  it("gives own pools their limits: concurrencyLimit alone, shared concurrencyId (lowest wins), and the default pool", async () => {
    const shared = new FakeFn(0); // default pool, concurrencyCount 1
    const own = new FakeFn(1, { concurrencyLimit: 2 });
    const g1 = new FakeFn(2, { concurrencyId: "g", concurrencyLimit: 3 });
    const g2 = new FakeFn(3, { concurrencyId: "g" }); // id without a limit counts as 1 → pool "id:g" has 1 slot
    const { engine } = makeEngine([shared, own, g1, g2], { concurrencyCount: 1 });
    for (let i = 0; i < 3; i++) {
      await join(engine, 0, `s${i}`);
      await join(engine, 1, `o${i}`);
      await join(engine, 2, `g${i}`);
      await join(engine, 3, `h${i}`);
    }
    assert.equal(shared.pending.length, 1);
    assert.equal(own.pending.length, 2);
    assert.equal(g1.pending.length + g2.pending.length, 1);
    // Pools do not block each other: finishing the shared one starts the next shared one only.
    shared.last().resolve();
    await settle();
    assert.equal(shared.pending.length, 1);
    assert.equal(own.pending.length, 2);
    // The group "g" is FIFO across its two functions: g0, h0, g1, ...
    g1.last().resolve();
    await settle();
    assert.deepEqual(
      g2.calls.map((c) => c.inputs[0]),
      ["h0"],
    );
    await engine.close({ graceMs: 0 });
  });

  it("lets several functions share an id with the lowest explicit limit", async () => {
    const a = new FakeFn(0, { concurrencyId: "m", concurrencyLimit: 4 });
    const b = new FakeFn(1, { concurrencyId: "m", concurrencyLimit: 2 });
    const { engine } = makeEngine([a, b]);
    for (let i = 0; i < 5; i++) await join(engine, i % 2, `e${i}`);
    assert.equal(a.pending.length + b.pending.length, 2);
    await engine.close({ graceMs: 0 });
  });

  it("treats concurrencyLimit null as unlimited, capped by maxThreads", async () => {
    const f = new FakeFn(0, { concurrencyLimit: null });
    const { engine } = makeEngine([f], { maxThreads: 5 });
    for (let i = 0; i < 8; i++) await join(engine, 0, `e${i}`);
    assert.equal(f.pending.length, 5);
    await engine.close({ graceMs: 0 });
  });

  it("never runs more than maxThreads jobs across pools, even when pool limits allow more", async () => {
    const a = new FakeFn(0, { concurrencyLimit: 10 });
    const b = new FakeFn(1, { concurrencyLimit: 10 });
    const { engine } = makeEngine([a, b], { maxThreads: 3 });
    for (let i = 0; i < 6; i++) {
      await join(engine, 0, `a${i}`);
      await join(engine, 1, `b${i}`);
    }
    assert.equal(a.pending.length + b.pending.length, 3);
    a.pending[0]?.resolve();
    await settle();
    assert.equal(a.pending.length + b.pending.length, 3);
    await engine.close({ graceMs: 0 });
  });

  it("across pools, takes the oldest waiting head whose pool has a free slot", async () => {
    const a = new FakeFn(0, { concurrencyLimit: 5 });
    const b = new FakeFn(1, { concurrencyLimit: 5 });
    const { engine, rec } = makeEngine([a, b], { maxThreads: 1 });
    await join(engine, 0, "a1");
    await join(engine, 1, "b1");
    await join(engine, 0, "a2");
    await join(engine, 1, "b2");
    for (let i = 0; i < 3; i++) {
      [...a.pending, ...b.pending][0]?.resolve();
      await settle();
    }
    assert.deepEqual(rec.startedOrder(), ["a1", "b1", "a2", "b2"]);
    await engine.close({ graceMs: 0 });
  });

  it("makes 32-hex event ids like Gradio, or keeps the one given", async () => {
    const f = new FakeFn(0);
    const { engine } = makeEngine([f]);
    const r = await engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "http://x" });
    assert.match(r.eventId, /^[0-9a-f]{32}$/);
    const given = await engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "http://x", eventId: "mine" });
    assert.equal(given.eventId, "mine");
    await assert.rejects(engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "http://x", eventId: "mine" }), {
      code: "BAD_REQUEST",
    });
    await engine.close({ graceMs: 0 });
  });

  it("reports rank and queueSize on join, and size() across pools", async () => {
    const a = new FakeFn(0);
    const b = new FakeFn(1, { concurrencyLimit: 1 });
    const { engine } = makeEngine([a, b]);
    assert.deepEqual(await join(engine, 0, "a1"), { eventId: "a1", rank: 0, queueSize: 1 });
    assert.deepEqual(await join(engine, 0, "a2"), { eventId: "a2", rank: 0, queueSize: 1 });
    assert.deepEqual(await join(engine, 0, "a3"), { eventId: "a3", rank: 1, queueSize: 2 });
    await join(engine, 1, "b1");
    await join(engine, 1, "b2");
    assert.equal(await engine.size(), 3);
    assert.equal(engine.isActive("a1"), true);
    assert.equal(engine.isActive("a3"), true);
    assert.equal(engine.isActive("zzz"), false);
    a.last().resolve();
    await settle();
    assert.equal(engine.isActive("a1"), false);
    await engine.close({ graceMs: 0 });
  });

  it("passes event info and inputs to invoke", async () => {
    const f = new FakeFn(0);
    const { engine } = makeEngine([f]);
    await engine.join({
      fnId: 0,
      eventId: "e",
      sessionHash: "sess",
      data: [1, 2],
      rootUrl: "http://host:1",
      meta: { username: "ada" },
    });
    await settle();
    const call = f.last();
    assert.deepEqual(call.inputs, [[1, 2]]);
    assert.deepEqual(call.ctx.events, [
      { eventId: "e", sessionHash: "sess", rootUrl: "http://host:1", meta: { username: "ada" } },
    ]);
    await engine.close({ graceMs: 0 });
  });

  it("emits `started` with the moving average as etaMs and records durations per call", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 300 });
    const { engine, clock, rec } = makeEngine([f]);
    assert.equal(engine.averageDurationMs(0), 300);
    assert.equal(engine.averageDurationMs(99), null);
    await join(engine, 0, "a");
    assert.equal(rec.ofType("started", "a")[0]?.etaMs, 300);
    await clock.advance(100);
    f.last().resolve();
    await settle();
    const done = rec.ofType("completed", "a")[0];
    assert.equal(done?.durationMs, 100);
    assert.equal(done?.averageDurationMs, 100, "the seed gives way to the first real call");
    await join(engine, 0, "b");
    await clock.advance(300);
    f.last().resolve();
    await settle();
    assert.equal(engine.averageDurationMs(0), 200);
    assert.equal(rec.ofType("started", "b")[0]?.etaMs, 100);
    await engine.close();
  });

  it("lets several listeners subscribe and unsubscribe", async () => {
    const f = new FakeFn(0);
    const { engine } = makeEngine([f]);
    const seen: string[] = [];
    const off = engine.on((e) => seen.push(e.type));
    await join(engine, 0, "a");
    off();
    f.last().resolve();
    await settle();
    assert.deepEqual(seen, ["estimation", "started"]);
    await engine.close();
  });

  it("keeps going when a listener throws", async () => {
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f]);
    const warnings: unknown[] = [];
    const onWarning = (w: unknown): void => {
      warnings.push(w);
    };
    process.on("warning", onWarning);
    engine.on(() => {
      throw new Error("listener bug");
    });
    await join(engine, 0, "a");
    f.last().resolve();
    await settle();
    process.off("warning", onWarning);
    assert.deepEqual(rec.types("a"), ["estimation", "started", "completed"]);
    assert.ok(warnings.length > 0);
    await engine.close();
  });

  it("dispatches at once when the store reports work added by another process", async () => {
    const store = new SharedStore();
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f], { store });
    await store.enqueue(
      {
        eventId: "remote",
        sessionHash: "r",
        fnId: 0,
        poolId: "default",
        data: 7,
        rootUrl: "",
        meta: {},
        enqueuedAtMs: 0,
      },
      null,
    );
    await settle();
    assert.equal(f.calls.length, 0, "nothing told the engine yet");
    store.wake();
    await settle();
    assert.deepEqual(f.last().inputs, [7]);
    assert.deepEqual(rec.types("remote"), ["estimation", "started"]);
    f.last().resolve();
    await settle();
    assert.equal(rec.terminal("remote")?.type, "completed");
    await engine.close();
  });

  it("still sends an estimation before `started` when the store lets a dispatch claim an event before its join returns", async () => {
    const store = new SlowEnqueueStore();
    const f = new FakeFn(0, { expectedDurationMs: 40 });
    const { engine, clock, rec } = makeEngine([f], { store });
    const ja = engine.join({ fnId: 0, eventId: "a", sessionHash: "s", data: "a", rootUrl: "" });
    await settle();
    store.held.shift()?.();
    await ja;
    await settle();
    const jb = engine.join({ fnId: 0, eventId: "b", sessionHash: "s", data: "b", rootUrl: "" });
    await settle();
    await clock.advance(25);
    f.last().resolve(); // a ends after 25 ms: the dispatch claims b, whose join has no answer yet
    await settle();
    assert.deepEqual(rec.types("b"), ["estimation", "started"]);
    assert.deepEqual(
      rec.ofType("estimation", "b").map((e) => [e.rank, e.rankEtaMs]),
      [[0, 25]],
    );
    store.held.shift()?.();
    assert.deepEqual(await jb, { eventId: "b", rank: 0, queueSize: 1 });
    await settle();
    assert.deepEqual(rec.types("b"), ["estimation", "started"], "no second estimation");
    await engine.close({ graceMs: 0 });
  });

  it("refuses unknown functions and bad options", async () => {
    const f = new FakeFn(0);
    const { engine } = makeEngine([f]);
    await assert.rejects(engine.join({ fnId: 7, sessionHash: "s", data: [], rootUrl: "" }), {
      code: "UNKNOWN_FUNCTION",
    });
    assert.throws(() => makeEngine([f, new FakeFn(0)]), { code: "INVALID_OPTIONS" });
    assert.throws(() => makeEngine([f], { maxThreads: 0 }), { code: "INVALID_OPTIONS" });
    await engine.close();
  });
});
