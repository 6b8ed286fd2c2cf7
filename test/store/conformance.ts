/**
 * The behaviour every {@link QueueStore} must have, as one suite. Each store's test file calls
 * {@link runQueueStoreConformance} with a factory; the Redis store will run the same checks.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { ClaimRequest, EnqueueResult, QueueStore, StoredJob } from "../../src/queue/QueueStore.ts";

let counter = 0;

/** A job with sensible defaults; `eventId` is unique per call unless given. */
export function makeJob(fields: Partial<StoredJob> & { fnId?: number; poolId?: string } = {}): StoredJob {
  counter++;
  return {
    eventId: fields.eventId ?? `ev${counter}`,
    sessionHash: fields.sessionHash ?? `s${counter}`,
    fnId: fields.fnId ?? 0,
    poolId: fields.poolId ?? "default",
    data: fields.data ?? [counter],
    rootUrl: fields.rootUrl ?? "http://127.0.0.1:7860",
    meta: fields.meta ?? {},
    enqueuedAtMs: fields.enqueuedAtMs ?? 0,
    ...(fields.clientKey === undefined ? {} : { clientKey: fields.clientKey }),
    ...(fields.priority === undefined ? {} : { priority: fields.priority }),
  };
}

/** A claim request from pool limits and batch sizes given as plain objects. */
export function claimRequest(
  poolLimits: Record<string, number | null>,
  batchSizes: Record<number, number> = {},
): ClaimRequest {
  return {
    poolLimits: new Map(Object.entries(poolLimits)),
    batchSizes: new Map(Object.entries(batchSizes).map(([k, v]) => [Number(k), v])),
  };
}

const ids = (jobs: readonly StoredJob[]): string[] => jobs.map((j) => j.eventId);

/** The contract's fields of an enqueue result (a shared store may add `running` for the pool's head). */
const core = (r: EnqueueResult): EnqueueResult =>
  r.accepted ? { accepted: true, rank: r.rank, poolSize: r.poolSize, totalSize: r.totalSize } : r;

/** Runs the store conformance suite under `describe(name)`. */
export function runQueueStoreConformance(name: string, makeStore: () => Promise<QueueStore> | QueueStore): void {
  describe(`QueueStore conformance: ${name}`, () => {
    const open: QueueStore[] = [];
    const fresh = async (): Promise<QueueStore> => {
      const s = await makeStore();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    const one = claimRequest({ default: 1 });

    it("admits up to maxSize waiting events and refuses the next with the total size", async () => {
      const s = await fresh();
      const r1 = await s.enqueue(makeJob({ eventId: "a" }), 2);
      const r2 = await s.enqueue(makeJob({ eventId: "b", poolId: "p2" }), 2);
      const r3 = await s.enqueue(makeJob({ eventId: "c" }), 2);
      assert.deepEqual(core(r1), { accepted: true, rank: 0, poolSize: 1, totalSize: 1 });
      assert.deepEqual(core(r2), { accepted: true, rank: 0, poolSize: 1, totalSize: 2 });
      assert.deepEqual(r3, { accepted: false, reason: "queue_full", totalSize: 2 });
      assert.equal(await s.size(), 2);
      assert.equal(await s.rank("c"), null, "a refused event is not stored");
    });

    it("does not count running events toward maxSize", async () => {
      const s = await fresh();
      await s.enqueue(makeJob({ eventId: "a" }), 1);
      assert.ok(await s.claim(one));
      const r = await s.enqueue(makeJob({ eventId: "b" }), 1);
      assert.equal(r.accepted, true);
    });

    it("admits everything when maxSize is null and refuses everything at maxSize 0", async () => {
      const s = await fresh();
      for (let i = 0; i < 50; i++) assert.equal((await s.enqueue(makeJob(), null)).accepted, true);
      assert.equal(await s.size(), 50);
      assert.deepEqual(await s.enqueue(makeJob(), 0), { accepted: false, reason: "queue_full", totalSize: 50 });
    });

    it("reports rank and pool size on enqueue", async () => {
      const s = await fresh();
      await s.enqueue(makeJob({ poolId: "x" }), null);
      await s.enqueue(makeJob({ poolId: "y" }), null);
      const r = await s.enqueue(makeJob({ poolId: "x" }), null);
      assert.deepEqual(core(r), { accepted: true, rank: 1, poolSize: 2, totalSize: 3 });
    });

    it("claims FIFO within a pool", async () => {
      const s = await fresh();
      for (const id of ["a", "b", "c"]) await s.enqueue(makeJob({ eventId: id }), null);
      const req = claimRequest({ default: null });
      const got: string[] = [];
      for (let c = await s.claim(req); c !== null; c = await s.claim(req)) got.push(...ids(c.jobs));
      assert.deepEqual(got, ["a", "b", "c"]);
    });

    it("picks the pool whose head is oldest, among pools with a free slot", async () => {
      const s = await fresh();
      await s.enqueue(makeJob({ eventId: "p1", poolId: "A" }), null);
      await s.enqueue(makeJob({ eventId: "q1", poolId: "B" }), null);
      await s.enqueue(makeJob({ eventId: "p2", poolId: "A" }), null);
      await s.enqueue(makeJob({ eventId: "q2", poolId: "B" }), null);
      const req = claimRequest({ A: 1, B: 2 });
      const c1 = await s.claim(req);
      assert.deepEqual([c1?.poolId, ids(c1?.jobs ?? [])], ["A", ["p1"]]);
      // A is full now, so B's head goes next even though A's next event is older than B's second.
      const c2 = await s.claim(req);
      assert.deepEqual([c2?.poolId, ids(c2?.jobs ?? [])], ["B", ["q1"]]);
      const c3 = await s.claim(req);
      assert.deepEqual([c3?.poolId, ids(c3?.jobs ?? [])], ["B", ["q2"]]);
      assert.equal(await s.claim(req), null);
      await s.release("A");
      const c4 = await s.claim(req);
      assert.deepEqual(ids(c4?.jobs ?? []), ["p2"]);
    });

    it("never claims from a pool missing from poolLimits", async () => {
      const s = await fresh();
      await s.enqueue(makeJob({ poolId: "hidden" }), null);
      assert.equal(await s.claim(claimRequest({ default: 1 })), null);
      assert.equal(await s.size(), 1);
    });

    it("counts running slots per pool and frees them on release", async () => {
      const s = await fresh();
      for (let i = 0; i < 4; i++) await s.enqueue(makeJob(), null);
      const req = claimRequest({ default: 2 });
      assert.ok(await s.claim(req));
      assert.ok(await s.claim(req));
      assert.equal(await s.claim(req), null, "limit 2 reached");
      assert.equal(await s.running("default"), 2);
      await s.release("default");
      assert.equal(await s.running("default"), 1);
      assert.ok(await s.claim(req));
      assert.equal(await s.running("default"), 2);
      assert.equal(await s.running("nowhere"), 0);
    });

    it("treats a null limit as unlimited", async () => {
      const s = await fresh();
      for (let i = 0; i < 10; i++) await s.enqueue(makeJob(), null);
      const req = claimRequest({ default: null });
      let n = 0;
      while ((await s.claim(req)) !== null) n++;
      assert.equal(n, 10);
      assert.equal(await s.running("default"), 10);
    });

    it("batches the head with the next events of its function, leaving others in place", async () => {
      const s = await fresh();
      // a1 b1 a2 b2 a3 a4 a5 (a = fn 1 batching by 3, b = fn 2 not batching), one pool.
      const seq: [string, number][] = [
        ["a1", 1],
        ["b1", 2],
        ["a2", 1],
        ["b2", 2],
        ["a3", 1],
        ["a4", 1],
        ["a5", 1],
      ];
      for (const [id, fnId] of seq) await s.enqueue(makeJob({ eventId: id, fnId }), null);
      const req = claimRequest({ default: null }, { 1: 3 });
      const c1 = await s.claim(req);
      assert.deepEqual([c1?.fnId, ids(c1?.jobs ?? [])], [1, ["a1", "a2", "a3"]]);
      assert.deepEqual(ids(await s.waiting("default")), ["b1", "b2", "a4", "a5"]);
      const c2 = await s.claim(req);
      assert.deepEqual([c2?.fnId, ids(c2?.jobs ?? [])], [2, ["b1"]], "b is not batched");
      const c3 = await s.claim(req);
      assert.deepEqual(ids(c3?.jobs ?? []), ["b2"]);
      const c4 = await s.claim(req);
      assert.deepEqual(ids(c4?.jobs ?? []), ["a4", "a5"], "a batch takes what waits, no more");
      assert.equal(await s.running("default"), 4, "a batch holds one slot");
    });

    it("does not batch across pools", async () => {
      const s = await fresh();
      await s.enqueue(makeJob({ eventId: "x1", fnId: 1, poolId: "X" }), null);
      await s.enqueue(makeJob({ eventId: "y1", fnId: 1, poolId: "Y" }), null);
      await s.enqueue(makeJob({ eventId: "x2", fnId: 1, poolId: "X" }), null);
      const c = await s.claim(claimRequest({ X: 1, Y: 1 }, { 1: 4 }));
      assert.deepEqual(ids(c?.jobs ?? []), ["x1", "x2"]);
    });

    it("removes a waiting event by id, once", async () => {
      const s = await fresh();
      for (const id of ["a", "b", "c"]) await s.enqueue(makeJob({ eventId: id }), null);
      const removed = await s.remove("b");
      assert.equal(removed?.eventId, "b");
      assert.equal(await s.remove("b"), null);
      assert.equal(await s.remove("zzz"), null);
      assert.deepEqual(ids(await s.waiting("default")), ["a", "c"]);
      assert.equal(await s.size(), 2);
      const c = await s.claim(one);
      assert.equal(await s.remove(c?.jobs[0]?.eventId ?? ""), null, "a running event is not waiting");
    });

    it("removes the head and lets the next one be claimed", async () => {
      const s = await fresh();
      for (const id of ["a", "b"]) await s.enqueue(makeJob({ eventId: id }), null);
      await s.remove("a");
      assert.deepEqual(ids((await s.claim(one))?.jobs ?? []), ["b"]);
    });

    it("removes every waiting event of a session, in admission order", async () => {
      const s = await fresh();
      await s.enqueue(makeJob({ eventId: "a", sessionHash: "S" }), null);
      await s.enqueue(makeJob({ eventId: "b", sessionHash: "T" }), null);
      await s.enqueue(makeJob({ eventId: "c", sessionHash: "S", poolId: "other" }), null);
      await s.enqueue(makeJob({ eventId: "d", sessionHash: "S" }), null);
      // a is claimed (running): removeSession must not return it.
      await s.claim(one);
      assert.deepEqual(ids(await s.removeSession("S")), ["c", "d"]);
      assert.deepEqual(ids(await s.removeSession("S")), []);
      assert.deepEqual(ids(await s.removeSession("nobody")), []);
      assert.deepEqual(ids(await s.waiting("default")), ["b"]);
      assert.equal(await s.size(), 1);
    });

    it("gives rank and waiting order per pool", async () => {
      const s = await fresh();
      const seq: [string, number, string][] = [
        ["a", 1, "P"],
        ["b", 2, "P"],
        ["x", 1, "Q"],
        ["c", 1, "P"],
        ["d", 3, "P"],
      ];
      for (const [id, fnId, poolId] of seq) await s.enqueue(makeJob({ eventId: id, fnId, poolId }), null);
      assert.deepEqual(ids(await s.waiting("P")), ["a", "b", "c", "d"]);
      assert.deepEqual(ids(await s.waiting("Q")), ["x"]);
      assert.deepEqual(await s.waiting("none"), []);
      assert.deepEqual(await s.rank("a"), { rank: 0, poolSize: 4 });
      assert.deepEqual(await s.rank("c"), { rank: 2, poolSize: 4 });
      assert.deepEqual(await s.rank("d"), { rank: 3, poolSize: 4 });
      assert.deepEqual(await s.rank("x"), { rank: 0, poolSize: 1 });
      await s.remove("b");
      assert.deepEqual(await s.rank("d"), { rank: 2, poolSize: 3 });
      assert.equal(await s.rank("b"), null);
    });

    it("reports sizes per pool and in total", async () => {
      const s = await fresh();
      await s.enqueue(makeJob({ poolId: "A" }), null);
      await s.enqueue(makeJob({ poolId: "A" }), null);
      await s.enqueue(makeJob({ poolId: "B" }), null);
      assert.equal(await s.size(), 3);
      const sizes = await s.poolSizes();
      assert.equal(sizes.get("A"), 2);
      assert.equal(sizes.get("B"), 1);
      await s.claim(claimRequest({ B: 1 }));
      assert.equal(await s.size(), 2);
      assert.equal((await s.poolSizes()).get("B") ?? 0, 0);
    });

    it("keeps jobs JSON-round-trippable and returns them intact", async () => {
      const s = await fresh();
      const job = makeJob({
        eventId: "j",
        data: [1, "two", { three: [3] }, null, true],
        meta: { username: "ada", headers: { "x-a": "1" } },
        enqueuedAtMs: 1234.5,
      });
      await s.enqueue(job, null);
      const [w] = await s.waiting("default");
      assert.deepEqual(w, job);
      const c = await s.claim(one);
      const claimed = c?.jobs[0];
      assert.deepEqual(claimed, job);
      assert.deepEqual(JSON.parse(JSON.stringify(claimed)), job);
    });

    it("returns an unsubscribe function from subscribe", async () => {
      const s = await fresh();
      const unsubscribe = s.subscribe(() => {});
      assert.equal(typeof unsubscribe, "function");
      unsubscribe();
    });

    it("keeps FIFO order across many removals (tombstones) and interleaved functions", async () => {
      const s = await fresh();
      const expected: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const id = `e${i}`;
        await s.enqueue(makeJob({ eventId: id, fnId: i % 3 }), null);
        if (i % 4 === 0) await s.remove(id);
        else expected.push(id);
      }
      assert.equal(await s.size(), expected.length);
      assert.deepEqual(ids(await s.waiting("default")), expected);
      const req = claimRequest({ default: null });
      const got: string[] = [];
      for (let c = await s.claim(req); c !== null; c = await s.claim(req)) got.push(...ids(c.jobs));
      assert.deepEqual(got, expected);
    });
  });
}
