/**
 * A worker module whose setup() takes 500 ms, through the real pool and engine: the call that
 * loads is reported as loading ("loading model, ~N s", then cleared), the users who join behind it
 * get the rest of the load in their ETA, the load is measured (and then replaces the declared
 * `loadMs`), and it stays out of the function's duration average.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Client } from "@gradio/client";
import { Interface, inWorker } from "../../src/index.ts";
import type { EngineEvent, InvokeContext } from "../../src/queue/types.ts";
import { workerRefOf } from "../../src/runtime/inWorker.ts";
import { WorkerPool } from "../../src/runtime/WorkerPool.ts";
import { SETUP_MS } from "../fixtures/slowSetupModule.ts";
import { launch } from "../helpers/launch.ts";
import { recordEvents, result, start, waitFor } from "./helpers.ts";

const mod = new URL("../fixtures/slowSetupModule.ts", import.meta.url);

function progressDescs(events: readonly EngineEvent[], eventId: string): string[] {
  return events.flatMap((e) =>
    e.type === "progress" && e.eventId === eventId ? [e.progress[0]?.desc ?? "(cleared)"] : [],
  );
}

test("the first call reports its thread's load; a join behind it gets the load in its ETA", async () => {
  const demo = new Interface({
    fn: inWorker(mod, "echo", { loadMs: 400 }),
    inputs: "text",
    outputs: "text",
    apiName: "echo",
    expectedDurationMs: 50,
  });
  const app = await launch(demo, { concurrencyCount: 1 }, { workerThreads: 1 });
  const events = recordEvents(app);
  const first = await start(app, "echo", ["a"]);
  // The thread says it loads (spawning it and registering tsx come first: wait for that).
  await waitFor(() => (progressDescs(events, first).length > 0 ? true : undefined), 10_000, "loading progress");
  assert.deepEqual(progressDescs(events, first), ["loading model, ~1 s"]);
  const second = await start(app, "echo", ["b"]);
  const est = await waitFor(() => events.find((e) => e.type === "estimation" && e.eventId === second));
  assert.ok(est.type === "estimation" && est.rank === 0);
  // Without the load it would be 100 ms (two 50 ms calls); with it, the rest of a 400 ms load on top.
  assert.ok(
    est.rankEtaMs !== null && est.rankEtaMs >= 250 && est.rankEtaMs <= 500,
    `ETA includes the rest of the load: ${est.rankEtaMs}`,
  );
  assert.match((await result(app, "echo", first)).data[0], /^model:a@/);
  assert.match((await result(app, "echo", second)).data[0], /^model:b@/);
  assert.deepEqual(progressDescs(events, first), ["loading model, ~1 s", "(cleared)"]);
  assert.deepEqual(progressDescs(events, second), [], "the thread had loaded: no second load");
  // The 500 ms load is not part of the first call's duration sample (the thread's own start, a
  // cold pool's, still is): the two samples sum to the two calls' times less the load.
  const ran = events.flatMap((e) => (e.type === "completed" ? [e.durationMs] : []));
  const avg = app.engine.averageDurationMs(0);
  assert.equal(ran.length, 2);
  const total = (ran[0] as number) + (ran[1] as number);
  assert.ok(avg !== null && avg * 2 <= total - SETUP_MS + 30, `samples ${avg} × 2 of ${total} ms in all`);
});

test("a measured load replaces the declared loadMs for the next thread that loads", async () => {
  const pool = new WorkerPool({ threads: 2 });
  after(() => pool.close());
  const ref = workerRefOf(inWorker(mod, "echo", { loadMs: 5000 }))!;
  const loads: (number | null)[] = [];
  const ctx = (): InvokeContext => ({
    events: [{ eventId: "e", sessionHash: "s", rootUrl: "http://x", meta: {} }],
    signal: new AbortController().signal,
    progress: () => undefined,
    log: () => undefined,
    loading: (expectedMs) => loads.push(expectedMs),
  });
  await pool.run(ref, ["one"], ctx());
  assert.deepEqual(loads, [5000], "the first load knows only the declared estimate");
  // Two calls at once: one of them lands on the thread that has not loaded yet.
  await Promise.all([pool.run(ref, ["two"], ctx()), pool.run(ref, ["three"], ctx())]);
  assert.equal(loads.length, 2);
  const measured = loads[1] as number;
  assert.ok(measured >= SETUP_MS && measured < 5000, `the second load expects the measured time: ${measured}`);
});

test("@gradio/client sees the load as a progress status, then an empty one, then the result", async () => {
  const demo = new Interface({
    fn: inWorker(mod, "echo", { loadMs: 1500 }),
    inputs: "text",
    outputs: "text",
    apiName: "echo",
  });
  const app = await launch(demo, {}, { workerThreads: 1 });
  const client = await Client.connect(app.url, { events: ["data", "status"] });
  const seen: { type: string; progress_data?: { desc: string | null }[]; data?: unknown[] }[] = [];
  for await (const ev of client.submit("/echo", ["c"])) seen.push(ev as (typeof seen)[number]);
  const progress = seen.flatMap((e) => (e.progress_data === undefined ? [] : [e.progress_data]));
  assert.deepEqual(
    progress.map((p) => p.map((u) => u.desc)),
    [["loading model, ~2 s"], []],
  );
  assert.match(String(seen.find((e) => e.type === "data")?.data?.[0]), /^model:c@/);
});
