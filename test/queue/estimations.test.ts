import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import type { StoredJob } from "../../src/queue/QueueStore.ts";
import { FakeFn, join, makeEngine, settle } from "./helpers.ts";

/** A MemoryStore that counts full reads of a pool (each is an O(n) walk for the engine). */
class CountingStore extends MemoryStore {
  waitingCalls = 0;
  override waiting(poolId: string): Promise<readonly StoredJob[]> {
    this.waitingCalls++;
    return super.waiting(poolId);
  }
}

describe("estimation messages", () => {
  it("updates waiting events after a dispatch (statusUpdateMs 0: on the next macrotask)", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000 });
    const { engine, clock, rec } = makeEngine([f], { statusUpdateMs: 0 });
    for (const id of ["e1", "e2", "e3", "e4"]) await join(engine, 0, id);
    await clock.advance(1000);
    f.last().resolve();
    await settle();
    assert.equal(rec.ofType("estimation", "e3").length, 1, "the round waits for the next macrotask");
    await clock.advance(0);
    const [e3, e4] = [rec.ofType("estimation", "e3")[1], rec.ofType("estimation", "e4")[1]];
    // e2 runs from 1000 to 2000; e3 then ends at 3000, e4 at 4000.
    assert.deepEqual([e3?.rank, e3?.queueSize, e3?.rankEtaMs], [0, 2, 2000]);
    assert.deepEqual([e4?.rank, e4?.queueSize, e4?.rankEtaMs], [1, 2, 3000]);
    assert.equal(rec.ofType("estimation", "e2").length, 1, "a started event gets no more estimations");
    await engine.close({ graceMs: 0 });
  });

  it("coalesces many dispatches into one round per pool", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000 });
    const { engine, clock, rec } = makeEngine([f], { concurrencyCount: 10, statusUpdateMs: 0 });
    for (let i = 0; i < 110; i++) await join(engine, 0, `e${i}`);
    await clock.advance(0);
    const before = rec.ofType("estimation").length;
    for (const c of f.pending) c.resolve(); // 10 jobs end, 10 dispatches
    await settle();
    await clock.advance(0);
    const sent = rec.ofType("estimation").slice(before);
    assert.equal(sent.length, 90, "one message per still-waiting event");
    assert.equal(new Set(sent.map((e) => e.eventId)).size, 90);
    await engine.close({ graceMs: 0 });
  });

  it("with 1,000 waiting and many dispatches, sends each event at most one message per statusUpdateMs", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 100 });
    const { engine, clock, rec } = makeEngine([f], { statusUpdateMs: 1000 });
    for (let i = 0; i <= 1000; i++) await join(engine, 0, `e${i}`);
    assert.equal(rec.ofType("estimation").length, 1001, "one at join each");
    for (let i = 0; i < 50; i++) {
      await clock.advance(100);
      f.pending[0]?.resolve();
      await settle();
    }
    await clock.advance(0);
    const times = new Map<string, number[]>();
    for (const e of rec.events)
      if (e.type === "estimation") times.set(e.eventId, [...(times.get(e.eventId) ?? []), e.atMs]);
    for (const [id, ts] of times) {
      for (let i = 1; i < ts.length; i++) {
        assert.ok((ts[i] ?? 0) - (ts[i - 1] ?? 0) >= 1000, `${id} got two messages within 1 s: ${ts.join(",")}`);
      }
    }
    const updates = rec.ofType("estimation").length - 1001;
    // 50 dispatches over 5 s, one every 100 ms; the first round ran at 0 (after e0 started), so
    // the next ones are paced at 1000, 2000, 3000, 4000, 5000: at most 5 updates per event, not 50.
    assert.ok(updates <= 1000 * 5, `too many messages: ${updates}`);
    assert.equal(times.get("e1000")?.length, 6, "the last event: its join estimation and 5 updates");
    const last = rec.ofType("estimation", "e1000").at(-1);
    assert.equal(last?.rank, 999 - 49, "the round at 5000 ran before that instant's dispatch: 49 of them");
    await engine.close({ graceMs: 0 });
  });

  it("skips events whose rank did not change unless their ETA moved by more than 10%", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000, concurrencyLimit: 1 });
    const { engine, clock, rec } = makeEngine([f], { statusUpdateMs: 0 });
    for (const id of ["e1", "e2", "e3", "e4", "e5"]) await join(engine, 0, id);
    await clock.advance(0);
    const count = (): number => rec.ofType("estimation").length;
    let before = count();
    // Removing the last one changes nobody's rank or ETA.
    await engine.cancel("e5");
    await clock.advance(0);
    assert.equal(count(), before);
    // A direct call of 980 ms moves the average (and every ETA) by less than 10%: still nothing.
    const d = engine.runDirect(0, [], { sessionHash: "x", rootUrl: "", meta: {} });
    await settle();
    await clock.advance(980);
    f.last().resolve();
    await d;
    before = count();
    await engine.cancel("e4");
    await clock.advance(0);
    assert.equal(count(), before);
    // A direct call of 10 ms drops the average to 495: e2 and e3 keep their ranks but hear about it.
    const d2 = engine.runDirect(0, [], { sessionHash: "x", rootUrl: "", meta: {} });
    await settle();
    await clock.advance(10);
    f.last().resolve();
    await d2;
    await join(engine, 0, "e6");
    await engine.cancel("e6");
    await clock.advance(0);
    const e2 = rec.ofType("estimation", "e2").at(-1);
    assert.equal(e2?.rank, 0);
    // Now 990; e1 started at 0 with average 495 → free now; e2 ends at 990 + 495.
    assert.equal(e2?.rankEtaMs, 495);
    assert.equal(rec.ofType("estimation", "e3").at(-1)?.rankEtaMs, 990);
    await engine.close({ graceMs: 0 });
  });

  it("with 10,000 waiting, joins and dispatches never walk the queue per event", async () => {
    const store = new CountingStore();
    const f = new FakeFn(0, { expectedDurationMs: 10 });
    const { engine, clock, rec } = makeEngine([f], { statusUpdateMs: 1000, store });
    for (let i = 0; i < 10_000; i++) {
      await engine.join({ fnId: 0, eventId: `e${i}`, sessionHash: "s", data: i, rootUrl: "" });
    }
    await settle();
    assert.equal(rec.ofType("estimation").length, 10_000);
    assert.ok(store.waitingCalls <= 1, `walks while joining: ${store.waitingCalls}`);
    const etas = rec.ofType("estimation").map((e) => e.rankEtaMs);
    assert.equal(etas[9999], 100_000, "the last of 10,000 calls of 10 ms ends at 100 s");
    for (let i = 0; i < 40; i++) {
      await clock.advance(50);
      f.pending[0]?.resolve();
      await settle();
      for (let j = 0; j < 5; j++)
        await engine.join({ fnId: 0, eventId: `n${i}-${j}`, sessionHash: "s", data: 0, rootUrl: "" });
    }
    await clock.advance(0);
    // 2 s of dispatches: a couple of rounds and a couple of join walks, not 40 or 200.
    assert.ok(store.waitingCalls <= 8, `walks: ${store.waitingCalls}`);
    const messages = rec.ofType("estimation").length - 10_000 - 200;
    assert.ok(messages <= 10_200 * 2, `messages: ${messages}`);
    await engine.close({ graceMs: 0 });
  });
});
