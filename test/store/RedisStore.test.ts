import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { RedisStore } from "../../src/redis.ts";
import type { StoreChange } from "../../src/queue/QueueStore.ts";
import type { RedisSessionOwners } from "../../src/store/RedisSessionOwners.ts";
import { makeRedisStore, rawRedis, storeKey, testPrefix } from "../helpers/redis.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { breakdown, countCommands } from "../helpers/redisCommands.ts";
import type { RedisSessionBus } from "../../src/store/RedisSessionBus.ts";
import { claimRequest, makeJob, runQueueStoreConformance } from "./conformance.ts";
import { runFairConformance } from "./fairConformance.ts";

runQueueStoreConformance("RedisStore", () => makeRedisStore());
runFairConformance("RedisStore", () => makeRedisStore());

/** Waits until `check` is true, or fails after `timeoutMs`. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  await waitFor(check, timeoutMs, what);
}

describe("RedisStore specifics", () => {
  const redis = rawRedis();

  it("a claim of a job this node admitted gives the job it was handed; another node's is read from Redis", async () => {
    const keyPrefix = testPrefix();
    const here = await makeRedisStore({ keyPrefix });
    const there = await makeRedisStore({ keyPrefix });
    try {
      const mine = makeJob({ eventId: "mine", sessionHash: "A" });
      const theirs = makeJob({ eventId: "theirs", sessionHash: "B" });
      await here.enqueue(mine, null);
      await there.enqueue(theirs, null);
      const first = await here.claim(claimRequest({ default: 1 }));
      assert.equal(first?.jobs[0], mine, "the very object: not parsed again");
      await here.release("default", first ?? undefined);
      const second = await here.claim(claimRequest({ default: 1 }));
      assert.notEqual(second?.jobs[0], theirs);
      assert.deepEqual(second?.jobs[0], theirs);
      await here.release("default", second ?? undefined);
      // One removed here is not claimed; the next one admitted is, as it was handed.
      const gone = makeJob({ eventId: "gone", sessionHash: "C" });
      await here.enqueue(gone, null);
      assert.deepEqual(await here.remove("gone"), gone);
      const next = makeJob({ eventId: "next", sessionHash: "D" });
      await here.enqueue(next, null);
      assert.equal((await here.claim(claimRequest({ default: 1 })))?.jobs[0], next);
    } finally {
      await here.close();
      await there.close();
    }
  });

  it("refuses an event id that is already pending in its session", async () => {
    const s = await makeRedisStore();
    try {
      await s.enqueue(makeJob({ eventId: "x", sessionHash: "S" }), null);
      await assert.rejects(s.enqueue(makeJob({ eventId: "x", sessionHash: "S" }), null), { code: "BAD_REQUEST" });
    } finally {
      await s.close();
    }
  });

  it("ends a final's event in its session's pending set, leaving the others (and a TTL) or nothing", async () => {
    const keyPrefix = testPrefix();
    const s = await makeRedisStore({ keyPrefix });
    const pendingKey = storeKey(keyPrefix, "ses:P:pending");
    const final = (eventId: string) =>
      ({ type: "completed", eventId, sessionHash: "P", output: null, durationMs: 1, averageDurationMs: null }) as const;
    try {
      await s.enqueue(makeJob({ eventId: "one", sessionHash: "P" }), null);
      await s.enqueue(makeJob({ eventId: "two", sessionHash: "P" }), null);
      for (const [eventId, left] of [
        ["one", ["two"]],
        ["two", []],
      ] as const) {
        const claim = await s.claim(claimRequest({ default: 1 }));
        assert.equal(claim?.jobs[0]?.eventId, eventId);
        s.bus.endedHere(final(eventId), true);
        await s.release("default", claim ?? undefined);
        assert.deepEqual(await s.bus.pendingEvents("P"), left);
        if (left.length > 0) assert.ok((await redis.pttl(pendingKey)) > 0, "the set the pop emptied has a TTL");
        else assert.equal(await redis.exists(pendingKey), 0);
      }
    } finally {
      await s.close();
    }
  });

  it("tells the relay which finals ended unlogged, and when a logged one read here left the log", async () => {
    const keyPrefix = testPrefix();
    const s = await makeRedisStore({ keyPrefix });
    const final = (eventId: string) =>
      ({ type: "completed", eventId, sessionHash: "U", output: null, durationMs: 1, averageDurationMs: null }) as const;
    const unlogged: string[] = [];
    const logged: string[] = [];
    s.bus.onUnlogged((e) => unlogged.push(e.eventId));
    const logIds: string[] = [];
    s.bus.onLogged((e, id) => {
      logged.push(`${e.eventId}@${id === "" ? "none" : "log"}`);
      logIds.push(id);
    });
    try {
      for (const [eventId, read] of [
        ["read", true],
        ["unread", false],
      ] as const) {
        await s.enqueue(makeJob({ eventId, sessionHash: "U" }), null);
        const claim = await s.claim(claimRequest({ default: 1 }));
        assert.equal(claim?.jobs[0]?.eventId, eventId);
        s.bus.endedHere(final(eventId), read);
        await s.release("default", claim ?? undefined);
      }
      assert.deepEqual(unlogged, ["read"], "read where it was delivered: nothing of it stays in the store");
      assert.deepEqual(logged, ["unread@log"], "no reader had it: logged for the next stream, so not forgettable");
      // Read later: it leaves the log with this node's next script, and the relay hears it left.
      const gone: string[] = [];
      s.bus.onForgotten((h, id) => gone.push(`${h}:${id}`));
      s.bus.forgetRead("U", logIds[0] ?? "");
      assert.deepEqual(gone, [], "not before Redis answered the call that carried it");
      await s.enqueue(makeJob({ eventId: "next", sessionHash: "U" }), null);
      assert.deepEqual(gone, [`U:${logIds[0]}`]);
      assert.equal(await redis.xlen(storeKey(keyPrefix, "ses:U:log")), 0);
    } finally {
      await s.close();
    }
  });

  it("releases a final read here without its JSON, and publishes it itself when another node adopted the session meanwhile", async () => {
    const keyPrefix = testPrefix();
    const [a, b] = await Promise.all([makeRedisStore({ keyPrefix }), makeRedisStore({ keyPrefix })]);
    const final = (eventId: string) =>
      ({
        type: "completed",
        eventId,
        sessionHash: "J",
        output: ["big"],
        durationMs: 1,
        averageDurationMs: null,
      }) as const;
    try {
      const shared: string[] = [];
      a.bus.onShared((h) => shared.push(h));
      const loggedA: string[] = [];
      a.bus.onLogged((e, id) => loggedA.push(`${e.eventId}@${id}`));
      const atB: string[] = [];
      b.bus.onMessage((h, m) => atB.push(`${h}:${m.event.eventId}:${m.event.type}`));
      // Alone: the read final ends its event and nothing of it reaches the log.
      await a.enqueue(makeJob({ eventId: "alone", sessionHash: "J" }), null);
      let claim = await a.claim(claimRequest({ default: 1 }));
      a.bus.endedHere(final("alone"), true);
      await a.release("default", claim ?? undefined);
      assert.equal(await redis.xlen(storeKey(keyPrefix, "ses:J:log")), 0);
      assert.deepEqual(loggedA, []);
      // B adopts the session between the delivery here and the release: the release cannot log the
      // final it was not given, so A publishes it, to the log and to B, and reports its log id.
      await a.enqueue(makeJob({ eventId: "adopted", sessionHash: "J" }), null);
      claim = await a.claim(claimRequest({ default: 1 }));
      a.bus.endedHere(final("adopted"), true);
      await b.bus.adopt("J", true);
      await a.release("default", claim ?? undefined);
      await until(async () => atB.includes("J:adopted:completed"), "B gets the final A delivered");
      await until(async () => loggedA.length === 1, "A hears the final's log id");
      const log = await redis.xrange(storeKey(keyPrefix, "ses:J:log"), "-", "+");
      assert.deepEqual(
        log.map(([, fields]) => (JSON.parse(fields[1] ?? "null") as { eventId: string }).eventId),
        ["adopted"],
      );
      assert.equal(loggedA[0], `adopted@${log[0]?.[0]}`);
      assert.ok(shared.includes("J"), "A holds the session with B from then on");
      assert.deepEqual(await a.bus.pendingEvents("J"), [], "the event ended once, in the release");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("admits a returning client key's event as a new lane once its last lane's head was released, else behind it", async () => {
    const s = await makeRedisStore();
    s.usePolicy({ fairness: true, maxPerClient: null, priorityAgingMs: 1000 });
    try {
      const request = claimRequest({ default: 1 });
      await s.enqueue(makeJob({ eventId: "k1", clientKey: "K" }), null);
      const claim = await s.claim(request);
      await s.release("default", claim ?? undefined);
      // K's lane record still names k1, released here: k2 heads a lane of its own, ahead of L's second.
      await s.enqueue(makeJob({ eventId: "l1", clientKey: "L" }), null);
      await s.enqueue(makeJob({ eventId: "l2", clientKey: "L" }), null);
      await s.enqueue(makeJob({ eventId: "k2", clientKey: "K" }), null);
      await s.enqueue(makeJob({ eventId: "k3", clientKey: "K" }), null);
      assert.deepEqual(
        (await s.waiting("default")).map((j) => j.eventId),
        ["l1", "k2", "l2", "k3"],
      );
    } finally {
      await s.close();
    }
  });

  /**
   * Two stores on one queue; A admits an event of `sessionHash` with its owner (so holds it solo).
   * `shared`: the sessions A has heard are held elsewhere too.
   */
  async function soloOnA(sessionHash: string, eventId?: string) {
    const keyPrefix = testPrefix();
    const [a, b] = await Promise.all([makeRedisStore({ keyPrefix }), makeRedisStore({ keyPrefix })]);
    const shared: string[] = [];
    a.bus.onShared((h) => shared.push(h));
    const owner = { user: null, key: "k", address: null, keyed: true };
    const recorded = (a.sessionOwners() as RedisSessionOwners).claimWithAdmission(sessionHash, owner, () => undefined);
    await a.enqueue(makeJob({ sessionHash, ...(eventId === undefined ? {} : { eventId }) }), null);
    assert.equal(await recorded, owner);
    return { a, b, shared };
  }

  it("holds a session alone from the join that recorded its owner until another node joins it", async () => {
    const { a, b, shared } = await soloOnA("S");
    try {
      // Its own other event pending does not make the session look held elsewhere.
      await a.enqueue(makeJob({ sessionHash: "S" }), null);
      assert.equal(shared.length, 0);
      // A join through another node: that node asks, and says so to all ("s"); this one catches up.
      await b.enqueue(makeJob({ sessionHash: "S" }), null);
      await until(async () => shared.includes("S"), "A shares S once B joined it");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  // Nothing of it pending: the word "s" alone tells A, whatever characters the session's hash holds.
  for (const sessionHash of ["T", "T with spaces", 'T ☕ ünï"code"']) {
    it(`stops holding a session alone when another node joins it after its events ended: "${sessionHash}"`, async () => {
      const { a, b, shared } = await soloOnA(sessionHash, "first");
      try {
        const claim = await a.claim(claimRequest({ default: 1 }));
        a.bus.endedHere(
          { type: "completed", eventId: "first", sessionHash, output: [], durationMs: 1, averageDurationMs: null },
          true,
        );
        await a.release("default", claim ?? undefined);
        assert.deepEqual(await a.bus.pendingEvents(sessionHash), []);
        await b.enqueue(makeJob({ eventId: "second", sessionHash }), null);
        await until(async () => shared.includes(sessionHash), "A shares the session once B joined it");
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  }

  it("wakes the other processes on a join to an empty pool, on a join that goes ahead of others and on a release with work waiting; never on its own, nor on a join behind the others", async () => {
    const keyPrefix = testPrefix();
    const [a, b] = await Promise.all([makeRedisStore({ keyPrefix }), makeRedisStore({ keyPrefix })]);
    try {
      let wokeA = 0;
      const heardB: StoreChange[] = [];
      a.subscribe((change) => {
        if (change === "work") wokeA++;
      });
      b.subscribe((change) => heardB.push(change));
      await a.enqueue(makeJob(), null);
      await until(async () => heardB.length >= 1, "B woken by A's join to the empty pool");
      // Behind the first: B, which saw work appear, learns nothing it would act on.
      await a.enqueue(makeJob(), null);
      // Ahead of both (a higher level): the ranks of the others moved.
      await a.enqueue(makeJob({ priority: 1 }), null);
      // A claim says "ranks moved" on the same channel, after whatever the joins said.
      const claimed = await a.claim(claimRequest({ default: 2 }));
      await until(async () => heardB.includes("ranks"), "B told of A's claim");
      assert.deepEqual(heardB, ["work", "work", "ranks"], "the join behind the others woke nobody");
      await a.release("default", claimed ?? undefined);
      const claim = await b.claim(claimRequest({ default: 1 }));
      await b.release("default", claim ?? undefined);
      await until(async () => wokeA >= 1, "A woken by B's release, with an event still waiting");
      // A later wake from A reaches B after any wake B published before it (one channel, in order).
      await a.enqueue(makeJob({ priority: 2 }), null);
      await until(async () => heardB.length >= 5, "B woken by A's join ahead of the one waiting");
      // The fourth is A's release, which freed a slot with work waiting ("r"; A knows B lives: its
      // first heartbeat counts are not "alone" before two of them). Counted at four, the fifth could
      // already be there: the join's wake reaches B's connection before the join's reply reaches A's.
      assert.deepEqual(
        heardB,
        ["work", "work", "ranks", "work", "work"],
        "B is not woken by its own claim and release",
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("costs a returning key no look at its lane when its last event ended on another node (fairness on)", async () => {
    const keyPrefix = testPrefix();
    const [a, b] = await Promise.all([makeRedisStore({ keyPrefix }), makeRedisStore({ keyPrefix })]);
    const policy = { fairness: true, maxPerClient: null, priorityAgingMs: 1000 };
    a.usePolicy(policy);
    b.usePolicy(policy);
    const final = (eventId: string, sessionHash: string) =>
      ({ type: "completed", eventId, sessionHash, output: null, durationMs: 1, averageDurationMs: null }) as const;
    const request = claimRequest({ default: 1 });
    /** B claims the head of the queue and ends it (its final goes to A, which admitted it). */
    const runOnB = async (eventId: string, sessionHash: string): Promise<void> => {
      const claim = await b.claim(request);
      assert.equal(claim?.jobs[0]?.eventId, eventId);
      b.bus.publish(final(eventId, sessionHash));
      await b.release("default", claim ?? undefined);
    };
    try {
      // A admits; B runs. K's lane record names k1 once k1 is claimed and run on B.
      await a.enqueue(makeJob({ eventId: "l1", clientKey: "L", sessionHash: "SL1" }), null);
      await a.enqueue(makeJob({ eventId: "k1", clientKey: "K", sessionHash: "SK" }), null);
      await runOnB("l1", "SL1");
      await runOnB("k1", "SK");
      await a.enqueue(makeJob({ eventId: "l2", clientKey: "L", sessionHash: "SL2" }), null);
      const bus = a.bus as RedisSessionBus;
      await waitFor(async () => bus.admittedOpen === 1, 5000, "A heard both finals from B");
      // K returns behind l2: its lane record still names k1, whose final A heard, so ended.
      const counted = await countCommands(keyPrefix, async () => {
        await a.enqueue(makeJob({ eventId: "k2", clientKey: "K", sessionHash: "SK" }), null);
      });
      assert.equal(counted.byName.get("lua:zscore") ?? 0, 0, breakdown(counted, 1));
      assert.deepEqual(
        (await a.waiting("default")).map((j) => j.eventId),
        ["l2", "k2"],
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("keeps a key's hint on its last waiting event when its later one never waited (the fast path)", async () => {
    const keyPrefix = testPrefix();
    const s = await makeRedisStore({ keyPrefix });
    s.usePolicy({ fairness: true, maxPerClient: null, priorityAgingMs: 1000 });
    const request = claimRequest({ default: 1 });
    try {
      // k1 waits (K's lane record names it), then runs here; k2 is claimed at its admission.
      await s.enqueue(makeJob({ eventId: "k1", clientKey: "K" }), null);
      await s.release("default", (await s.claim(request)) ?? undefined);
      const fast = await s.enqueue(makeJob({ eventId: "k2", clientKey: "K" }), null, request);
      const claimed = fast.accepted ? fast.claim : undefined;
      assert.equal(claimed?.jobs[0]?.eventId, "k2", "claimed at its admission");
      await s.release("default", claimed);
      await s.enqueue(makeJob({ eventId: "l1", clientKey: "L" }), null);
      // K returns behind l1: its lane record still names k1, ended, and the hint still says so.
      const counted = await countCommands(keyPrefix, async () => {
        await s.enqueue(makeJob({ eventId: "k3", clientKey: "K" }), null);
      });
      assert.equal(counted.byName.get("lua:zscore") ?? 0, 0, breakdown(counted, 1));
      assert.deepEqual(
        (await s.waiting("default")).map((j) => j.eventId),
        ["l1", "k3"],
      );
    } finally {
      await s.close();
    }
  });

  it("retries the job of a process that stopped renewing its lease once, at its place, then fails it", async () => {
    const keyPrefix = testPrefix();
    const leaseMs = 300;
    const job = makeJob({ eventId: "lost", sessionHash: "S" });
    // The users' front stays alive (else the reaper lets their sessions go: see the next test).
    const front = await makeRedisStore({ keyPrefix, leaseMs });
    after(() => front.close());
    await front.bus.adopt("S", true);
    await front.bus.adopt("T", true);
    const first = await makeRedisStore({ keyPrefix, leaseMs });
    await first.enqueue(job, null);
    await first.enqueue(makeJob({ eventId: "behind", sessionHash: "T" }), null);
    assert.deepEqual(
      (await first.claim(claimRequest({ default: 1 })))?.jobs.map((j) => j.eventId),
      ["lost"],
    );
    // Dies: no release, no more heartbeats.
    await first.close();
    const second = await makeRedisStore({ keyPrefix, leaseMs });
    const req = claimRequest({ default: 1 });
    // The lease expires and is reaped: the job is back at the head, before "behind".
    await until(async () => (await second.running("default")) === 0, "the lease reaped", 3000);
    assert.deepEqual(
      (await second.waiting("default")).map((j) => j.eventId),
      ["lost", "behind"],
    );
    const again = await second.claim(req);
    assert.deepEqual(
      again?.jobs.map((j) => j.eventId),
      ["lost"],
    );
    await second.close();
    // Lost a second time: it fails, and its user is told why.
    const third = await makeRedisStore({ keyPrefix, leaseMs });
    try {
      await until(async () => (await third.running("default")) === 0, "the second lease reaped", 3000);
      assert.deepEqual(
        (await third.waiting("default")).map((j) => j.eventId),
        ["behind"],
      );
      const log = await redis.xrange(storeKey(keyPrefix, `ses:S:log`), "-", "+");
      const events = log.map(([, fields]) => JSON.parse(fields[1] ?? "null"));
      assert.deepEqual(
        events.map((e) => e.type),
        ["log", "failed"],
      );
      assert.match(events[0].message, /retried/);
      assert.equal(events[1].eventId, "lost");
      assert.equal(events[1].error.code, "WORKER_LOST");
      assert.match(events[1].error.message, /stopped responding/);
      assert.equal(await redis.exists(storeKey(keyPrefix, `job:lost`)), 0);
      assert.equal(await redis.sismember(storeKey(keyPrefix, `ses:S:pending`), "lost"), 0);
    } finally {
      await third.close();
    }
  });

  it("lets go of the sessions of a dead front that no live process holds: their events leave the queue, running ones are cancelled", async () => {
    const keyPrefix = testPrefix();
    const leaseMs = 300;
    const front = await makeRedisStore({ keyPrefix, leaseMs });
    const other = await makeRedisStore({ keyPrefix, leaseMs });
    const worker = await makeRedisStore({ keyPrefix, leaseMs });
    const cancels: string[] = [];
    worker.cluster.onCancelRequest((eventId, reason) => cancels.push(`${eventId}:${reason}`));
    try {
      await front.enqueue(makeJob({ eventId: "runs", sessionHash: "gone" }), null);
      await front.enqueue(makeJob({ eventId: "waits", sessionHash: "gone" }), null);
      await front.enqueue(makeJob({ eventId: "kept", sessionHash: "back" }), null);
      assert.deepEqual(
        (await worker.claim(claimRequest({ default: 1 })))?.jobs.map((j) => j.eventId),
        ["runs"],
      );
      // The user of "back" reconnected through the other front.
      await other.bus.adopt("back");
      // The front dies (no more heartbeats), the others live on.
      await front.close();
      const t0 = Date.now();
      await until(async () => (await worker.size()) === 1, "the dead front's waiting event removed", 3000);
      const boundMs = Date.now() - t0;
      assert.ok(boundMs < 2 * leaseMs + 200, `gone after ${boundMs} ms`);
      assert.deepEqual(
        (await worker.waiting("default")).map((j) => j.eventId),
        ["kept"],
      );
      await until(async () => cancels.length === 1, "the running event's runner asked to cancel it", 3000);
      assert.deepEqual(cancels, ["runs:disconnect"]);
      const log = await redis.xrange(storeKey(keyPrefix, `ses:gone:log`), "-", "+");
      const events = log.map(([, fields]) => JSON.parse(fields[1] ?? "null"));
      assert.deepEqual(
        events.map((e) => [e.type, e.eventId, e.reason]),
        [["cancelled", "waits", "disconnect"]],
      );
      assert.deepEqual(await redis.smembers(storeKey(keyPrefix, `ses:gone:pending`)), ["runs"]);
      assert.equal(await redis.zscore(storeKey(keyPrefix, `nodes`), front.nodeId), null);
    } finally {
      await Promise.all([other.close(), worker.close()]);
    }
  });

  it("keeps a lease alive while its process renews it", async () => {
    const s = await makeRedisStore({ leaseMs: 200 });
    try {
      await s.enqueue(makeJob(), null);
      const claim = await s.claim(claimRequest({ default: 1 }));
      await sleep(700);
      assert.equal(await s.running("default"), 1, "still running after 3 lease periods");
      await s.release("default", claim ?? undefined);
      assert.equal(await s.running("default"), 0);
    } finally {
      await s.close();
    }
  });

  it("fails fast with STORE_UNAVAILABLE while Redis cannot be reached", async () => {
    const s = new RedisStore({ url: "redis://127.0.0.1:1", keyPrefix: testPrefix(), connectTimeoutMs: 300 });
    try {
      await assert.rejects(s.ready(), { code: "STORE_UNAVAILABLE" });
      const t0 = Date.now();
      await assert.rejects(s.enqueue(makeJob(), null), { code: "STORE_UNAVAILABLE" });
      assert.ok(Date.now() - t0 < 200, "no waiting for a connection");
    } finally {
      await s.close();
    }
  });
});
