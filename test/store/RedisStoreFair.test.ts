/**
 * The fair order on Redis beyond the conformance suites: the same order as the in-memory store
 * under random operations, and what only a shared store has (other processes, leases that expire,
 * the reaper's tidying, keys that must not outlive their events).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { QueuePolicy, StoredJob } from "../../src/queue/QueueStore.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { makeRedisStore, rawRedis, storeKey, testPrefix } from "../helpers/redis.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { claimRequest, makeJob } from "./conformance.ts";
import { prng } from "./fairConformance.ts";

const ids = (jobs: readonly StoredJob[]): string[] => jobs.map((j) => j.eventId);
const FAIR: QueuePolicy = { fairness: true, maxPerClient: null, priorityAgingMs: 1000 };

describe("RedisStore against the in-memory store", () => {
  for (const fairness of [true, false]) {
    it(`orders exactly as MemoryStore under random joins (keys, levels, functions, pools), batch claims and removals, fairness ${fairness ? "on" : "off"}`, async () => {
      const policy = { fairness, maxPerClient: null, priorityAgingMs: 1000 };
      const mem = new MemoryStore();
      const red = await makeRedisStore();
      mem.usePolicy(policy);
      red.usePolicy(policy);
      try {
        const rand = prng(fairness ? 5 : 6);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
        const request = claimRequest({ default: null, two: null }, { 0: 2, 1: 3 });
        const waiting = new Set<string>();
        let t = 0;
        for (let step = 0; step < 500; step++) {
          const r = rand();
          const where = `step ${step}`;
          if (r < 0.55 || waiting.size === 0) {
            t += Math.floor(rand() * 700);
            const job = makeJob({
              eventId: `e${step}`,
              sessionHash: pick(["s1", "s2", "s3", `s${step}`]),
              clientKey: pick(["A", "A", "A", "B", "B", "C", `k${step}`]),
              priority: pick([0, 0, 0, 1, -1]),
              fnId: pick([0, 1]),
              poolId: pick(["default", "default", "two"]),
              enqueuedAtMs: t,
            });
            const [a, b] = [await mem.enqueue(job, null), await red.enqueue(job, null)];
            assert.ok(a.accepted && b.accepted);
            assert.deepEqual([b.rank, b.poolSize], [a.rank, a.poolSize], `${where}: admission`);
            waiting.add(job.eventId);
          } else if (r < 0.8) {
            const [a, b] = [await mem.claim(request), await red.claim(request)];
            assert.deepEqual(ids(b?.jobs ?? []), ids(a?.jobs ?? []), `${where}: claim`);
            for (const j of a?.jobs ?? []) waiting.delete(j.eventId);
            if (a !== null) await Promise.all([mem.release(a.poolId, a), red.release(b?.poolId ?? "", b ?? undefined)]);
          } else if (r < 0.95) {
            const id = pick([...waiting]);
            const [a, b] = [await mem.remove(id), await red.remove(id)];
            assert.equal(b?.eventId, a?.eventId, `${where}: remove`);
            waiting.delete(id);
          } else {
            const h = pick(["s1", "s2", "s3"]);
            const [a, b] = [await mem.removeSession(h), await red.removeSession(h)];
            assert.deepEqual(ids(b), ids(a), `${where}: removeSession`);
            for (const j of a) waiting.delete(j.eventId);
          }
          for (const pool of ["default", "two"]) {
            const order = ids(await mem.waiting(pool));
            assert.deepEqual(ids(await red.waiting(pool)), order, `${where}: waiting(${pool})`);
            const probe = order[Math.floor(rand() * order.length)];
            if (probe !== undefined) assert.deepEqual(await red.rank(probe), await mem.rank(probe), `${where}: rank`);
          }
          assert.deepEqual(await red.poolSizes(), await mem.poolSizes(), `${where}: pool sizes`);
        }
      } finally {
        await red.close();
      }
    });
  }
});

describe("RedisStore fair order, shared", () => {
  const redis = rawRedis();

  it("moves the lanes a batch served to the ring's end in the order it served them", async () => {
    const expected: string[][] = [];
    for (const store of [new MemoryStore(), await makeRedisStore()]) {
      store.usePolicy(FAIR);
      for (const [id, key] of [
        ["a1", "A"],
        ["a2", "A"],
        ["b1", "B"],
        ["b2", "B"],
        ["c1", "C"],
      ] as const)
        await store.enqueue(makeJob({ eventId: id, clientKey: key }), null);
      const c = await store.claim(claimRequest({ default: null }, { 0: 2 }));
      expected.push([...ids(c?.jobs ?? []), "|", ...ids(await store.waiting("default"))]);
      await store.close();
    }
    assert.deepEqual(expected[1], expected[0]);
    assert.deepEqual(expected[0], ["a1", "b1", "|", "c1", "a2", "b2"]);
  });

  it("keeps one fair order for every process: joins through two fronts, claims by a third", async () => {
    const keyPrefix = testPrefix();
    const [a, b, worker] = await Promise.all([
      makeRedisStore({ keyPrefix }),
      makeRedisStore({ keyPrefix }),
      makeRedisStore({ keyPrefix }),
    ]);
    try {
      for (const s of [a, b, worker]) s.usePolicy(FAIR);
      for (const id of ["h1", "h2", "h3"]) await a.enqueue(makeJob({ eventId: id, clientKey: "hog" }), null);
      const v = await b.enqueue(makeJob({ eventId: "v1", clientKey: "visitor" }), null);
      assert.ok(v.accepted);
      assert.deepEqual([v.rank, v.poolSize], [1, 4], "after the hog's first, before its second");
      assert.deepEqual(ids(await worker.waiting("default")), ["h1", "v1", "h2", "h3"]);
      const got: string[] = [];
      for (let c = await worker.claim(claimRequest({ default: 1 })); c !== null; ) {
        got.push(...ids(c.jobs));
        await worker.release("default", c);
        c = await worker.claim(claimRequest({ default: 1 }));
      }
      assert.deepEqual(got, ["h1", "v1", "h2", "h3"]);
    } finally {
      await Promise.all([a.close(), b.close(), worker.close()]);
    }
  });

  it("counts a client's events across processes; a reaped event goes back at its place and still counts until it leaves", async () => {
    const keyPrefix = testPrefix();
    const leaseMs = 300;
    const policy = { ...FAIR, maxPerClient: 2 };
    const front = await makeRedisStore({ keyPrefix, leaseMs });
    const other = await makeRedisStore({ keyPrefix, leaseMs });
    const dying = await makeRedisStore({ keyPrefix, leaseMs });
    try {
      for (const s of [front, other, dying]) s.usePolicy(policy);
      // The users' sessions stay held by a live front (else the reaper lets them go).
      await front.bus.adopt("S", true);
      assert.ok((await front.enqueue(makeJob({ eventId: "x1", sessionHash: "S", clientKey: "K" }), null)).accepted);
      assert.ok((await other.enqueue(makeJob({ eventId: "x2", sessionHash: "S", clientKey: "K" }), null)).accepted);
      const refused = await other.enqueue(makeJob({ eventId: "x3", sessionHash: "S", clientKey: "K" }), null);
      assert.deepEqual(refused, { accepted: false, reason: "client_limit", totalSize: 2 });
      assert.deepEqual(ids((await dying.claim(claimRequest({ default: 1 })))?.jobs ?? []), ["x1"]);
      // The claim's process dies: x1 goes back at its place, before x2, and still counts.
      await dying.close();
      await waitFor(async () => (await front.running("default")) === 0, 3000, "the lease reaped");
      assert.deepEqual(ids(await front.waiting("default")), ["x1", "x2"]);
      assert.equal(
        (await front.enqueue(makeJob({ eventId: "x3", sessionHash: "S", clientKey: "K" }), null)).accepted,
        false,
      );
      assert.equal(await redis.hget(storeKey(keyPrefix, "clients"), "K"), "2");
      // Taken again and released: it leaves the count.
      const again = await other.claim(claimRequest({ default: 1 }));
      assert.deepEqual(ids(again?.jobs ?? []), ["x1"]);
      await other.release("default", again ?? undefined);
      assert.ok((await front.enqueue(makeJob({ eventId: "x3", sessionHash: "S", clientKey: "K" }), null)).accepted);
    } finally {
      await Promise.all([front.close(), other.close()]);
    }
  });

  it("drops a level's keys and marker when its last event leaves, and the reaper tidies ended lanes", async () => {
    const keyPrefix = testPrefix();
    const s = await makeRedisStore({ keyPrefix, leaseMs: 300 });
    try {
      s.usePolicy(FAIR);
      await s.enqueue(makeJob({ eventId: "low", clientKey: "L" }), null);
      await s.enqueue(makeJob({ eventId: "hi1", clientKey: "H", priority: 2 }), null);
      await s.enqueue(makeJob({ eventId: "hi2", clientKey: "H", priority: 2 }), null);
      assert.deepEqual(await redis.zrange(storeKey(keyPrefix, "wait:default"), 0, 0), ["#2"]);
      assert.equal(await redis.zcard(storeKey(keyPrefix, "park@2:default")), 1);
      assert.deepEqual(ids(await s.waiting("default")), ["hi1", "hi2", "low"]);
      await s.remove("hi2");
      const c = await s.claim(claimRequest({ default: null }));
      assert.deepEqual(ids(c?.jobs ?? []), ["hi1"]);
      for (const k of ["wait@2:default", "park@2:default", "lanes@2:default"])
        assert.equal(await redis.exists(storeKey(keyPrefix, k)), 0, `${k} is gone`);
      assert.deepEqual(await redis.zrange(storeKey(keyPrefix, "wait:default"), 0, -1), [
        (await redis.hget(storeKey(keyPrefix, "job:low"), "m")) ?? "",
      ]);
      assert.equal(await redis.hget(storeKey(keyPrefix, "lanes:default"), "_L"), "0");
      // "low" is claimed: its lane record stays until the reaper tidies it.
      await s.claim(claimRequest({ default: null }));
      assert.notEqual(await redis.hget(storeKey(keyPrefix, "lanes:default"), "k:L"), null);
      await waitFor(
        async () => (await redis.hget(storeKey(keyPrefix, "lanes:default"), "k:L")) === null,
        3000,
        "the ended lane's record tidied",
      );
    } finally {
      await s.close();
    }
  });
});
