/**
 * A job whose worker thread loads its model first (InvokeContext.loading/loaded): its users see
 * "loading model, ~N s", the users behind it get the rest of the load in their ETA (an update when
 * the load starts and when it ends), and the load stays out of the call's duration average.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsherError } from "../../src/errors.ts";
import { loadingUnit } from "../../src/queue/RunningJob.ts";
import type { ProgressUnit } from "../../src/queue/types.ts";
import { FakeFn, join, makeEngine, settle, type Recorder } from "./helpers.ts";

/** The latest estimation of an event: [rank, rankEtaMs, when it was sent]. */
function lastEstimation(rec: Recorder, id: string): [number, number | null, number] {
  const e = rec
    .of(id)
    .filter((x) => x.type === "estimation")
    .at(-1);
  if (e === undefined || e.type !== "estimation") throw new Error(`no estimation for ${id}`);
  return [e.rank, e.rankEtaMs, e.atMs];
}

function progressOf(rec: Recorder, id: string): (readonly ProgressUnit[])[] {
  return rec.ofType("progress", id).map((e) => e.progress);
}

describe("loading a model on first use", () => {
  it("counts the rest of a load in the ETAs behind it, and updates them when the load starts and ends", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000 });
    const { engine, clock, rec } = makeEngine([f], { concurrencyCount: 1, statusUpdateMs: 0 });
    for (const id of ["e1", "e2", "e3"]) await join(engine, 0, id);
    assert.deepEqual(lastEstimation(rec, "e2"), [0, 2000, 0]);
    assert.deepEqual(lastEstimation(rec, "e3"), [1, 3000, 0]);

    // e1's thread starts loading, expected to take 3 s: e1 ends at 3000 + 1000.
    const ctx = f.last().ctx;
    ctx.loading?.(3000);
    await clock.advance(0);
    assert.deepEqual(progressOf(rec, "e1"), [
      [{ index: null, length: null, unit: null, progress: null, desc: "loading model, ~3 s" }],
    ]);
    assert.deepEqual(lastEstimation(rec, "e2"), [0, 5000, 0], "updated when the load starts");
    assert.deepEqual(lastEstimation(rec, "e3"), [1, 6000, 0]);

    // A join during the load: the load's end (3000) + e1, e2, e3, then its own call.
    await clock.advance(1000);
    await join(engine, 0, "e4");
    assert.deepEqual(lastEstimation(rec, "e4"), [2, 6000, 1000]);

    // The load ends early, at 2500: e1 is now expected at 2500 + 1000.
    await clock.advance(1500);
    ctx.loaded?.();
    await clock.advance(0);
    assert.deepEqual(progressOf(rec, "e1").at(-1), [], "an empty progress clears the loading caption");
    assert.deepEqual(lastEstimation(rec, "e2"), [0, 2000, 2500], "updated when the load ends");

    // The call itself took 600 ms: the average learns 600, not the 3100 ms the job ran.
    await clock.advance(600);
    f.last().resolve();
    await settle();
    assert.equal(engine.averageDurationMs(0), 600);
    const done = rec.ofType("completed", "e1")[0];
    assert.equal(done?.durationMs, 3100, "the user is told the whole time the job ran");
    await engine.close({ graceMs: 0 });
  });

  it("counts a load past its estimate, or of unknown length, as ending now: the call comes after it", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000 });
    const { engine, clock, rec } = makeEngine([f], { concurrencyCount: 2, statusUpdateMs: 0 });
    for (const id of ["a", "b"]) await join(engine, 0, id);
    const [a, b] = f.calls;
    a?.ctx.loading?.(500);
    b?.ctx.loading?.(null);
    await clock.advance(0);
    assert.deepEqual(progressOf(rec, "b"), [[loadingUnit(null)]]);
    assert.equal(loadingUnit(null).desc, "loading model");
    // At 2000 a's load is 1.5 s over its estimate: it counts as ending now, then a's call (3000).
    // b's load of unknown length counts as ending now too: its call has not started (3000).
    // Without the loads both would count as ending now (started at 0, 1000 ms calls).
    await clock.advance(2000);
    await join(engine, 0, "c");
    assert.deepEqual(lastEstimation(rec, "c"), [0, 2000, 2000]);
    await join(engine, 0, "d");
    assert.deepEqual(lastEstimation(rec, "d"), [1, 2000, 2000]);
    await engine.close({ graceMs: 0 });
  });

  it("counts the rest of a load in a refusal's Retry-After and in the wait that maxWaitMs checks", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000 });
    const { engine, clock } = makeEngine([f], { maxSize: 1, maxWaitMs: 3000 });
    const joinAny = () =>
      engine.join({ fnId: 0, sessionHash: "s", data: [], rootUrl: "" }).catch((e: unknown) => e as UsherError);
    await join(engine, 0, "a");
    f.last().ctx.loading?.(4000);
    await clock.advance(0);
    // b would wait for the rest of a's load (4 s) and a's call (1 s): over the 3 s limit.
    assert.equal(((await joinAny()) as UsherError).code, "WAIT_LIMIT");
    await clock.advance(2500);
    await join(engine, 0, "b"); // now 1.5 s of load and a's call: within the limit
    const full = (await joinAny()) as UsherError;
    assert.equal(full.code, "QUEUE_FULL");
    assert.equal(full.retryAfterS, 3, "a ends after the rest of its load and its call: 2.5 s");
    await engine.close({ graceMs: 0 });
  });

  it("rounds the announced load up to whole seconds (at least 1)", () => {
    assert.equal(loadingUnit(0).desc, "loading model, ~1 s");
    assert.equal(loadingUnit(500).desc, "loading model, ~1 s");
    assert.equal(loadingUnit(2400).desc, "loading model, ~3 s");
  });

  it("ignores a load reported after the job settled, and a second start of the same load", async () => {
    const f = new FakeFn(0, { expectedDurationMs: 1000 });
    const { engine, clock, rec } = makeEngine([f]);
    await join(engine, 0, "e1");
    const call = f.last();
    call.ctx.loading?.(2000);
    call.ctx.loading?.(9000);
    await clock.advance(100);
    call.ctx.loaded?.();
    call.resolve();
    await settle();
    call.ctx.loading?.(1000);
    await clock.advance(100);
    const units = progressOf(rec, "e1");
    assert.deepEqual(
      units.map((u) => u[0]?.desc ?? "(cleared)"),
      ["loading model, ~2 s", "(cleared)"],
    );
    await engine.close({ graceMs: 0 });
  });
});
