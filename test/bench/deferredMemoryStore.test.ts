/**
 * The probe behind `syscallsPerPrediction --deferred` (bench/servers/deferredMemoryStore.ts): the
 * operations it is given answer only after a turn of the event loop, the others within the call's
 * microtasks, and the engine is told not to take the in-call path.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StoredJob } from "../../src/queue/index.ts";

// The probe loads the store of the build the bench runs; tests run the source.
process.env["USHER_FROM"] = "source";
const { deferredMemoryStore } = await import("../../bench/servers/deferredMemoryStore.ts");

const job = (eventId: string): StoredJob => ({
  eventId,
  sessionHash: `s-${eventId}`,
  fnId: 0,
  poolId: "default",
  data: [eventId],
  rootUrl: "http://127.0.0.1",
  meta: {},
  enqueuedAtMs: 0,
});
const request = { poolLimits: new Map([["default", 1]]), batchSizes: new Map<number, number>() };

/**
 * Calls `op` and tells whether its promise settled before a turn of the event loop: before a
 * `setImmediate` queued just ahead of the call (a deferred operation queues its own behind it).
 */
async function inCall<T>(op: () => Promise<T>): Promise<{ inCall: boolean; value: T }> {
  let settled = false;
  const turn = new Promise<boolean>((resolve) => setImmediate(() => resolve(settled)));
  const p = op();
  void p.then(() => (settled = true));
  return { inCall: await turn, value: await p };
}

test("deferredMemoryStore: a deferred claim answers a turn later, an enqueue not deferred within the call's microtasks", async () => {
  const store = await deferredMemoryStore(["claim"]);
  assert.equal(store.answersInCall, false, "the engine must take the async path");
  const enqueued = await inCall(() => store.enqueue(job("a"), null));
  assert.deepEqual([enqueued.inCall, enqueued.value.accepted], [true, true]);
  const claimed = await inCall(() => store.claim(request));
  assert.equal(claimed.inCall, false);
  assert.deepEqual(
    claimed.value?.jobs.map((j) => j.eventId),
    ["a"],
  );
});

test("deferredMemoryStore: enqueue, release and remove deferred in turn; the queue keeps its order", async () => {
  const store = await deferredMemoryStore(["enqueue", "release", "remove"]);
  for (const id of ["a", "b", "c"])
    assert.equal((await inCall(() => store.enqueue(job(id), null))).inCall, false, `enqueue of ${id}`);
  const removed = await inCall(() => store.remove("b"));
  assert.deepEqual([removed.inCall, removed.value?.eventId], [false, "b"]);
  const claimed = await inCall(() => store.claim(request));
  assert.equal(claimed.inCall, true, "a claim not deferred answers in the call");
  const claim = claimed.value;
  assert.deepEqual(
    claim?.jobs.map((j) => j.eventId),
    ["a"],
  );
  assert.equal(await store.claim(request), null, "the pool's one slot is taken");
  assert.equal((await inCall(() => store.release("default", claim ?? undefined))).inCall, false);
  assert.deepEqual(
    (await store.claim(request))?.jobs.map((j) => j.eventId),
    ["c"],
  );
});
