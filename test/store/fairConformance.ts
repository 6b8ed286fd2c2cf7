/**
 * The fair-queue policy every {@link QueueStore} must follow (docs/fair-queue.md): round robin
 * across client keys within a level, FIFO within a key, levels by aged admission, batches after
 * the other keys' heads, `maxPerClient`. Each store's test file calls {@link runFairConformance}.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { QueuePolicy, QueueStore, StoredJob } from "../../src/queue/QueueStore.ts";
import { claimRequest, makeJob } from "./conformance.ts";
import { prng } from "../helpers/prng.ts";

const FAIR: QueuePolicy = { fairness: true, maxPerClient: null, priorityAgingMs: 1000 };
const ids = (jobs: readonly StoredJob[]): string[] => jobs.map((j) => j.eventId);
const all = claimRequest({ default: null });

/** Claims one job at a time until nothing is left; the ids in claim order. */
async function drain(s: QueueStore): Promise<string[]> {
  const got: string[] = [];
  for (let c = await s.claim(all); c !== null; c = await s.claim(all)) got.push(...ids(c.jobs));
  return got;
}

export { prng };

/**
 * The snapshot property: in the order claims will take them, no key's k-th waiting event comes
 * before another waiting key's (k−1)-th.
 */
export function assertRoundRobin(order: readonly StoredJob[], context: string): void {
  const seen = new Map<string, number>();
  const keysAt = order.map((j) => {
    const key = j.clientKey ?? j.sessionHash;
    const k = (seen.get(key) ?? 0) + 1;
    seen.set(key, k);
    return k;
  });
  // Every event of index k must come after every event of index k-1 of every other key.
  let maxIndexSoFar = 0;
  for (let i = 0; i < order.length; i++) {
    const k = keysAt[i] ?? 0;
    assert.ok(k >= maxIndexSoFar, `${context}: a key's ${k}-th event after another's ${maxIndexSoFar}-th at ${i}`);
    maxIndexSoFar = Math.max(maxIndexSoFar, k);
  }
}

/** Runs the fair-policy conformance suite under `describe(name)`. */
export function runFairConformance(name: string, makeStore: () => Promise<QueueStore> | QueueStore): void {
  describe(`QueueStore fair policy: ${name}`, () => {
    const open: QueueStore[] = [];
    const fresh = async (policy: QueuePolicy = FAIR): Promise<QueueStore> => {
      const s = await makeStore();
      s.usePolicy(policy);
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });
    const job = (eventId: string, clientKey: string, more: Partial<StoredJob> = {}): StoredJob =>
      makeJob({ eventId, clientKey, ...more });

    it("serves client keys round robin, FIFO within a key, and ranks by that order", async () => {
      const s = await fresh();
      const ranks: number[] = [];
      for (const [id, key] of [
        ["a1", "A"],
        ["a2", "A"],
        ["a3", "A"],
        ["b1", "B"],
        ["b2", "B"],
        ["c1", "C"],
      ] as const) {
        const r = await s.enqueue(job(id, key), null);
        assert.ok(r.accepted);
        ranks.push(r.rank);
      }
      assert.deepEqual(ranks, [0, 1, 2, 1, 3, 2]);
      assert.deepEqual(ids(await s.waiting("default")), ["a1", "b1", "c1", "a2", "b2", "a3"]);
      assert.deepEqual(await s.rank("a2"), { rank: 3, poolSize: 6 });
      assert.deepEqual(await drain(s), ["a1", "b1", "c1", "a2", "b2", "a3"]);
    });

    it("moves a served key to the end of the ring, after a key that arrives meanwhile", async () => {
      const s = await fresh();
      await s.enqueue(job("a1", "A"), null);
      await s.enqueue(job("a2", "A"), null);
      await s.enqueue(job("b1", "B"), null);
      assert.deepEqual(ids((await s.claim(all))?.jobs ?? []), ["a1"]);
      const r = await s.enqueue(job("c1", "C"), null);
      assert.ok(r.accepted);
      assert.equal(r.rank, 2);
      assert.deepEqual(await drain(s), ["b1", "a2", "c1"]);
    });

    it("keeps a key's place when one of its events is removed", async () => {
      const s = await fresh();
      for (const [id, key] of [
        ["a1", "A"],
        ["a2", "A"],
        ["b1", "B"],
        ["b2", "B"],
      ] as const)
        await s.enqueue(job(id, key), null);
      assert.ok(await s.remove("a1"));
      assert.deepEqual(ids(await s.waiting("default")), ["a2", "b1", "b2"]);
      assert.deepEqual(await drain(s), ["a2", "b1", "b2"]);
    });

    it("is FIFO by admission with fairness off", async () => {
      const s = await fresh({ ...FAIR, fairness: false });
      for (const [id, key] of [
        ["a1", "A"],
        ["a2", "A"],
        ["b1", "B"],
      ] as const)
        await s.enqueue(job(id, key), null);
      assert.deepEqual(await drain(s), ["a1", "a2", "b1"]);
    });

    it("counts the session as the key when a job has none", async () => {
      const s = await fresh();
      await s.enqueue(makeJob({ eventId: "x1", sessionHash: "S" }), null);
      await s.enqueue(makeJob({ eventId: "x2", sessionHash: "S" }), null);
      await s.enqueue(makeJob({ eventId: "y1", sessionHash: "T" }), null);
      assert.deepEqual(await drain(s), ["x1", "y1", "x2"]);
    });

    it("batches the next event with other keys' heads of its function before a key's second", async () => {
      const s = await fresh();
      for (const [id, key, fnId] of [
        ["a1", "A", 0],
        ["a2", "A", 0],
        ["a3", "A", 0],
        ["b1", "B", 1],
        ["c1", "C", 0],
      ] as const)
        await s.enqueue(job(id, key, { fnId }), null);
      const c = await s.claim(claimRequest({ default: null }, { 0: 3 }));
      assert.deepEqual(ids(c?.jobs ?? []), ["a1", "c1", "a2"]);
      assert.deepEqual(ids(await s.waiting("default")), ["b1", "a3"]);
    });

    it("serves a higher priority first, unless the lower head waited priorityAgingMs per step longer", async () => {
      const s = await fresh();
      await s.enqueue(job("low", "L", { enqueuedAtMs: 0 }), null);
      const hi = await s.enqueue(job("high", "H", { enqueuedAtMs: 500, priority: 1 }), null);
      assert.ok(hi.accepted);
      assert.equal(hi.rank, 0, "the higher level goes first");
      const late = await s.enqueue(job("late", "H2", { enqueuedAtMs: 1500, priority: 1 }), null);
      assert.ok(late.accepted);
      assert.equal(late.rank, 2, "arrived more than priorityAgingMs after the low one: after it");
      assert.deepEqual(ids(await s.waiting("default")), ["high", "low", "late"]);
      assert.deepEqual(await drain(s), ["high", "low", "late"]);
    });

    it("picks, across pools with a free slot, the next event with the smallest aged admission", async () => {
      const s = await fresh();
      await s.enqueue(job("p1", "A", { poolId: "one", enqueuedAtMs: 0 }), null);
      await s.enqueue(job("p2", "B", { poolId: "two", enqueuedAtMs: 10, priority: 1 }), null);
      const c = await s.claim(claimRequest({ one: 1, two: 1 }));
      assert.deepEqual(ids(c?.jobs ?? []), ["p2"]);
    });

    it("refuses a key's event past maxPerClient, counting running ones, until one leaves", async () => {
      const s = await fresh({ ...FAIR, maxPerClient: 2 });
      assert.ok((await s.enqueue(job("a1", "A"), null)).accepted);
      assert.ok((await s.enqueue(job("a2", "A"), null)).accepted);
      assert.deepEqual(await s.enqueue(job("a3", "A"), null), {
        accepted: false,
        reason: "client_limit",
        totalSize: 2,
      });
      assert.ok((await s.enqueue(job("b1", "B"), null)).accepted, "another key is not limited");
      const c = await s.claim(claimRequest({ default: 1 }));
      assert.deepEqual(ids(c?.jobs ?? []), ["a1"]);
      assert.equal((await s.enqueue(job("a3", "A"), null)).accepted, false, "a running event still counts");
      assert.ok(c);
      await s.release("default", c);
      assert.ok((await s.enqueue(job("a3", "A"), null)).accepted, "a released event leaves the count");
      await s.remove("a2");
      assert.ok((await s.enqueue(job("a4", "A"), null)).accepted, "a removed event leaves the count");
      await s.removeSession((await s.waiting("default")).find((j) => j.eventId === "a4")?.sessionHash ?? "");
      assert.ok((await s.enqueue(job("a5", "A"), null)).accepted, "so does a removed session's");
    });

    it("keeps the round-robin property under random joins, claims and removals", async () => {
      const s = await fresh();
      const rand = prng(17);
      const waiting: string[] = [];
      let n = 0;
      for (let step = 0; step < 400; step++) {
        const r = rand();
        if (r < 0.55 || waiting.length === 0) {
          const id = `e${n++}`;
          const key = `k${Math.floor(rand() * rand() * 8)}`;
          const res = await s.enqueue(job(id, key), null);
          assert.ok(res.accepted);
          const order = await s.waiting("default");
          assert.equal(order[res.rank]?.eventId, id, `step ${step}: the admission's rank is its place`);
          waiting.push(id);
        } else if (r < 0.85) {
          const order = await s.waiting("default");
          const c = await s.claim(all);
          assert.equal(c?.jobs[0]?.eventId, order[0]?.eventId, `step ${step}: a claim takes the head of waiting()`);
          waiting.splice(waiting.indexOf(c?.jobs[0]?.eventId ?? ""), 1);
        } else {
          const id = waiting[Math.floor(rand() * waiting.length)] ?? "";
          assert.ok(await s.remove(id));
          waiting.splice(waiting.indexOf(id), 1);
        }
        assertRoundRobin(await s.waiting("default"), `step ${step}`);
      }
    });
  });
}
