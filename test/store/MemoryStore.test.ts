import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { claimRequest, makeJob, runQueueStoreConformance } from "./conformance.ts";
import { runFairConformance } from "./fairConformance.ts";

runQueueStoreConformance("MemoryStore", () => new MemoryStore());
runFairConformance("MemoryStore", () => new MemoryStore());

describe("MemoryStore specifics", () => {
  it("keeps order while users come and go behind a head that does not move (tombstone compaction)", async () => {
    const s = new MemoryStore();
    await s.enqueue(makeJob({ eventId: "head" }), null);
    const kept: string[] = ["head"];
    for (let i = 0; i < 20_000; i++) {
      const id = `e${i}`;
      await s.enqueue(makeJob({ eventId: id }), null);
      if (i % 10 === 9) kept.push(id);
      else await s.remove(id);
    }
    assert.equal(await s.size(), kept.length);
    assert.deepEqual(
      (await s.waiting("default")).map((j) => j.eventId),
      kept,
    );
    assert.deepEqual(await s.rank("e19999"), { rank: kept.length - 1, poolSize: kept.length });
    const got: string[] = [];
    const req = claimRequest({ default: null });
    for (let c = await s.claim(req); c !== null; c = await s.claim(req)) got.push(...c.jobs.map((j) => j.eventId));
    assert.deepEqual(got, kept);
  });

  it("removes a large session without touching other sessions", async () => {
    const s = new MemoryStore();
    for (let i = 0; i < 1000; i++)
      await s.enqueue(makeJob({ eventId: `e${i}`, sessionHash: i % 2 === 0 ? "even" : "odd" }), null);
    const removed = await s.removeSession("even");
    assert.equal(removed.length, 500);
    assert.deepEqual(
      removed.slice(0, 3).map((j) => j.eventId),
      ["e0", "e2", "e4"],
    );
    assert.equal(await s.size(), 500);
    assert.deepEqual(
      (await s.waiting("default")).slice(0, 2).map((j) => j.eventId),
      ["e1", "e3"],
    );
  });

  it("refuses an event id that is already waiting", async () => {
    const s = new MemoryStore();
    await s.enqueue(makeJob({ eventId: "x" }), null);
    await assert.rejects(s.enqueue(makeJob({ eventId: "x" }), null), { code: "BAD_REQUEST" });
  });
});
