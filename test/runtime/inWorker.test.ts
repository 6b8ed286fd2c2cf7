/**
 * Functions declared with inWorker() run in the worker pool: in parallel, under the queue's
 * limits, with errors, progress, logs, batches and streams crossing the thread boundary.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Blocks, Button, Json, NumberInput, Textbox, inWorker } from "../../src/index.ts";
import { eventCounts, launch, post } from "../helpers/launch.ts";
import { call, recordEvents, start, result, waitFor } from "./helpers.ts";

const mod = new URL("../fixtures/workerModule.ts", import.meta.url);

function workerApp(): Blocks {
  return new Blocks({}, () => {
    const n = new NumberInput();
    const t = new Textbox();
    const out = new Json();
    const text = new Textbox();
    new Button("busy").click({ fn: inWorker(mod, "busy"), inputs: [n], outputs: [out], apiName: "busy" });
    const t2 = new Textbox();
    new Button("meet").click({ fn: inWorker(mod, "meet"), inputs: [t, t2], outputs: [out], apiName: "meet" });
    new Button("stats").click({ fn: inWorker(mod, "stats"), inputs: [], outputs: [out], apiName: "stats" });
    new Button("fail").click({ fn: inWorker(mod, "fail"), inputs: [t], outputs: [out], apiName: "fail" });
    new Button("chatty").click({ fn: inWorker(mod, "chatty"), inputs: [n], outputs: [text], apiName: "chatty" });
    new Button("count").click({
      fn: inWorker(mod, "count", { stream: true }),
      inputs: [n],
      outputs: [text],
      apiName: "count",
    });
    new Button("shout").click({
      fn: inWorker(mod, "shout"),
      inputs: [t],
      outputs: [text],
      apiName: "shout",
      batch: true,
      maxBatchSize: 4,
    });
  });
}

const app = await launch(workerApp(), { concurrencyCount: 2 }, { workerThreads: 2 });

function overlaps(a: { startMs: number; endMs: number }, b: { startMs: number; endMs: number }): boolean {
  return a.startMs < b.endMs && b.startMs < a.endMs;
}

test("two CPU-bound calls run at the same time on two threads (a rendezvous and timestamps inside the workers)", async () => {
  // Each call spins until it sees the other's file: both can meet only if they run at once.
  const dir = mkdtempSync(join(tmpdir(), "usher-meet-"));
  const [a, b] = await Promise.all([call(app, "meet", [dir, "a"]), call(app, "meet", [dir, "b"])]);
  assert.equal(a.event, "complete");
  assert.equal(b.event, "complete");
  const ra = a.data[0];
  const rb = b.data[0];
  assert.ok(ra.met && rb.met, `both calls met: ${JSON.stringify([ra, rb])}`);
  assert.notEqual(ra.threadId, rb.threadId);
  assert.ok(overlaps(ra, rb), `expected overlap: ${JSON.stringify([ra, rb])}`);
});

test("maxThreads stays the cap: with maxThreads 1, two calls on a pool of 2 threads do not overlap", async () => {
  const capped = await launch(workerApp(), { concurrencyCount: 1 }, { workerThreads: 2, maxThreads: 1 });
  const [a, b] = await Promise.all([call(capped, "busy", [150]), call(capped, "busy", [150])]);
  assert.equal(a.event, "complete");
  assert.equal(b.event, "complete");
  assert.ok(!overlaps(a.data[0], b.data[0]), `expected no overlap: ${JSON.stringify([a.data, b.data])}`);
});

test("the module (a model) loads once per thread, setup() runs once per thread", async () => {
  const results: any[] = [];
  for (let i = 0; i < 6; i++) results.push((await call(app, "stats", [])).data[0]);
  for (const r of results) {
    assert.equal(r.moduleLoads, 1);
    assert.equal(r.setupCalls, 1);
  }
  const threads = new Set(results.map((r) => r.threadId));
  assert.ok(threads.size <= 2, `at most the pool's 2 threads: ${[...threads].join(", ")}`);
  // Per thread, the call counter keeps growing: the same module instance served every call.
  for (const id of threads) {
    const counts = results.filter((r) => r.threadId === id).map((r) => r.calls);
    assert.deepEqual(
      counts,
      [...counts].sort((x, y) => x - y),
    );
  }
});

test("an AppError keeps its message and title across the thread; another error stays hidden", async () => {
  const events = recordEvents(app);
  const id = await start(app, "fail", ["app"]);
  const r = await result(app, "fail", id);
  assert.equal(r.event, "error");
  assert.equal(r.data, "The model refused this input.");
  const failed = events.find((e) => e.eventId === id && e.type === "failed");
  assert.ok(failed !== undefined && failed.type === "failed");
  assert.equal(failed.error.title, "Model error");
  assert.equal(failed.error.durationMs, 5000);
  assert.equal(failed.error.code, "APP_ERROR");

  const hidden = await call(app, "fail", ["other"]);
  assert.equal(hidden.event, "error");
  assert.equal(hidden.data, null);
});

test("progress and log messages from inside the worker reach the user, before the result", async () => {
  const events = recordEvents(app);
  const id = await start(app, "chatty", [5]);
  const r = await result(app, "chatty", id);
  assert.equal(r.event, "complete");
  assert.deepEqual(r.data, ["did 5"]);
  const mine = events.filter((e) => e.eventId === id);
  const logs = mine.filter((e) => e.type === "log").map((e) => (e.type === "log" ? [e.level, e.message, e.title] : []));
  assert.deepEqual(logs, [
    ["info", "starting", "Model"],
    ["warning", "almost done", "Warning"],
    ["success", "done", "Success"],
  ]);
  const progress = mine.filter((e) => e.type === "progress");
  assert.ok(progress.length >= 1, "at least one progress message");
  const lastProgress = progress.at(-1);
  assert.ok(lastProgress !== undefined && lastProgress.type === "progress");
  assert.deepEqual(lastProgress.progress, [{ index: 5, length: 5, unit: "steps", progress: null, desc: "working" }]);
  const types = mine.map((e) => e.type);
  assert.equal(types.at(-1), "completed");
});

test("a batched worker function receives the lists", async () => {
  // Fill the two slots first so that the batch requests wait together.
  const blockers = [call(app, "busy", [1000]), call(app, "busy", [1000])];
  await waitFor(() => (eventCounts(app).running === 2 ? true : undefined), 5000, "both slots busy");
  const words = ["a", "b", "c"];
  const outs = await Promise.all(words.map((w) => call(app, "shout", [w])));
  await Promise.all(blockers);
  outs.forEach((o, i) => {
    assert.equal(o.event, "complete");
    assert.match(o.data[0], new RegExp(`^${words[i]!.toUpperCase()}!\\d$`));
  });
  // They waited together, so they ran as one batch of 3.
  assert.ok(
    outs.some((o) => o.data[0].endsWith("!3")),
    JSON.stringify(outs.map((o) => o.data)),
  );
});

test("an async generator in a worker streams its chunks", async () => {
  const events = recordEvents(app);
  const id = await start(app, "count", [3]);
  const r = await result(app, "count", id);
  assert.equal(r.event, "complete");
  const generating = events
    .filter((e) => e.eventId === id && e.type === "generating")
    .map((e) => (e.type === "generating" ? (e.output as string[])[0] : ""));
  assert.equal(generating.length, 3);
  assert.deepEqual(
    generating.map((g) => g!.split("@")[0]),
    ["1/3", "2/3", "3/3"],
  );
  assert.match(r.data[0], /^3\/3@\d+$/);
  const config = (await (await fetch(`${app.url}/config`)).json()) as {
    dependencies: { api_name: string; types: { generator: boolean } }[];
  };
  assert.equal(config.dependencies.find((d) => d.api_name === "count")?.types.generator, true);
});

test("the direct path (POST /run) runs a worker function too", async () => {
  const r = await post(`${app.url}/gradio_api/run/busy`, { data: [5] });
  assert.equal(r.status, 200, r.text);
  assert.equal(typeof r.json.data[0].threadId, "number");
});
