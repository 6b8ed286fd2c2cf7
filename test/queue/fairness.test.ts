import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsherError } from "../../src/errors.ts";
import type { QueuePolicy } from "../../src/queue/QueueStore.ts";
import { FakeFn, join, makeEngine, settle } from "./helpers.ts";

const FAIR: QueuePolicy = { fairness: true, maxPerClient: null, priorityAgingMs: 30_000 };

const refusal = async (p: Promise<unknown>): Promise<UsherError> => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof UsherError, "the join is refused");
  return err;
};

describe("QueueEngine fair queue", () => {
  it("starts a later client's event before a hog's second one, and tells the hog's events they moved back", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000 });
    const { engine, clock, rec } = makeEngine([f], { policy: FAIR });
    for (const id of ["h1", "h2", "h3", "h4"]) await join(engine, 0, id, { clientKey: "hog" });
    const v = await join(engine, 0, "v1", { clientKey: "visitor" });
    assert.equal(v.rank, 1, "behind the hog's head (h2), ahead of h3 and h4");
    await clock.advance(0);
    const last = (id: string) => rec.ofType("estimation", id).at(-1);
    assert.equal(last("h3")?.rank, 2, "h3 was told it moved back");
    assert.equal(last("h4")?.rank, 3);
    for (let i = 0; i < 5; i++) {
      f.pending[0]?.resolve();
      await settle();
    }
    assert.deepEqual(rec.startedOrder(), ["h1", "h2", "v1", "h3", "h4"]);
    await engine.close({ graceMs: 0 });
  });

  it("refuses a client's event past maxPerClient with 429, its message and a Retry-After", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 4000 });
    const { engine, rec } = makeEngine([f], { policy: { ...FAIR, maxPerClient: 2 } });
    await join(engine, 0, "a1", { clientKey: "k" });
    await join(engine, 0, "a2", { clientKey: "k" });
    const err = await refusal(
      engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "", eventId: "a3", clientKey: "k" }),
    );
    assert.equal(err.code, "CLIENT_LIMIT");
    assert.equal(err.status, 429);
    assert.equal(err.detail, "You already have 2 requests waiting or running; wait for one to finish.");
    assert.equal(err.retryAfterS, 4, "a1 is expected to end in 4 s");
    assert.deepEqual(rec.of("a3"), [], "a refused join emits nothing");
    await join(engine, 0, "b1", { clientKey: "other" });
    f.pending[0]?.resolve();
    await settle();
    await join(engine, 0, "a3", { clientKey: "k" });
    assert.equal(engine.isActive("a3"), true, "a finished event leaves the count");
    await engine.close({ graceMs: 0 });
  });

  it("refuses a join whose predicted wait is over maxWaitMs with 503, the wait in words and when to retry", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000 });
    const { engine, clock, rec } = makeEngine([f], { policy: FAIR, maxWaitMs: 2000 });
    await join(engine, 0, "a"); // runs: waits 0
    await join(engine, 0, "b"); // ~1 s
    await join(engine, 0, "c"); // ~2 s: at the limit, admitted
    const err = await refusal(engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "", eventId: "d" }));
    assert.equal(err.code, "WAIT_LIMIT");
    assert.equal(err.status, 503);
    assert.equal(err.detail, "Busy: about 3 s to wait, over this demo's limit of 2 s; try again in 1 s.");
    assert.equal(err.retryAfterS, 1);
    assert.equal(engine.isActive("d"), false);
    assert.deepEqual(rec.of("d"), [], "a refused join is told nothing else");
    // The refused event is out of the queue and of the ETA tail: the next join after a start fits.
    await clock.advance(1000);
    f.pending[0]?.resolve();
    await settle();
    const e = await join(engine, 0, "e");
    assert.equal(e.rank, 1, "behind c");
    assert.equal(rec.ofType("estimation", "e")[0]?.rankEtaMs, 3000);
    await engine.close({ graceMs: 0 });
  });

  it("words a long predicted wait in minutes", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 100_000 });
    const { engine } = makeEngine([f], { policy: FAIR, maxWaitMs: 180_000 });
    await join(engine, 0, "a");
    await join(engine, 0, "b");
    const err = await refusal(engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "", eventId: "c" }));
    assert.equal(err.detail, "Busy: about 4 min to wait, over this demo's limit of 3 min; try again in 20 s.");
    assert.equal(err.retryAfterS, 20);
    await engine.close({ graceMs: 0 });
  });

  it("starts a higher priority first and a lower one within priorityAgingMs under steady higher load", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 100 });
    const { engine, clock, rec } = makeEngine([f], { policy: { ...FAIR, priorityAgingMs: 1000 } });
    await join(engine, 0, "first", { clientKey: "x", priority: 1 });
    await join(engine, 0, "low", { clientKey: "low", priority: 0 });
    // Steady high-priority load: a new high event every 50 ms, each call 100 ms (more than it can serve).
    let n = 0;
    for (let t = 0; t < 3000 && engine.isActive("low") && rec.startedOrder().indexOf("low") < 0; t += 50) {
      await join(engine, 0, `hi${n++}`, { clientKey: `h${n}`, priority: 1 });
      if (t % 100 === 0) f.pending[0]?.resolve();
      await clock.advance(50);
      await settle();
    }
    const order = rec.startedOrder();
    const low = order.indexOf("low");
    assert.ok(low >= 0, "the low-priority event started under steady higher load");
    // The rule: only higher events that arrived at most priorityAgingMs after it go first.
    for (const [i, id] of order.entries()) {
      if (!id.startsWith("hi")) continue;
      const arrivedMs = Number(id.slice(2)) * 50;
      if (arrivedMs <= 1000) assert.ok(i < low, `${id} (arrived at ${arrivedMs} ms) went first`);
      else assert.ok(i > low, `${id} (arrived at ${arrivedMs} ms) waited for it`);
    }
    await engine.close({ graceMs: 0 });
  });
});
