/**
 * A worker thread that dies (process.exit, an uncaught error) or ignores its abort signal: the
 * pool replaces it, only that call fails, the next call works, and the call's slot stays taken
 * until its thread is really gone.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Blocks, Button, Json, NumberInput, Textbox, inWorker } from "../../src/index.ts";
import { eventCounts, launch } from "../helpers/launch.ts";
import { call, recordEvents, result, start, waitFor } from "./helpers.ts";

const mod = new URL("../fixtures/workerModule.ts", import.meta.url);
const dir = mkdtempSync(join(tmpdir(), "usher-worker-test-"));
let markers = 0;
const marker = (): string => join(dir, `m${markers++}.json`);

function readMarker(path: string): any {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

function workerApp(timeoutMs?: number): Blocks {
  return new Blocks({}, () => {
    const n = new NumberInput();
    const t = new Textbox();
    const out = new Json();
    new Button("busy").click({ fn: inWorker(mod, "busy"), inputs: [n], outputs: [out], apiName: "busy" });
    new Button("crash").click({ fn: inWorker(mod, "crash"), inputs: [t], outputs: [out], apiName: "crash" });
    new Button("coop").click({ fn: inWorker(mod, "cooperative"), inputs: [t], outputs: [out], apiName: "coop" });
    new Button("wait").click({ fn: inWorker(mod, "waitsForAbort"), inputs: [t], outputs: [out], apiName: "wait" });
    new Button("count").click({
      fn: inWorker(mod, "count", { stream: true }),
      inputs: [n],
      outputs: [t],
      apiName: "count",
    });
    new Button("ignore").click({
      fn: inWorker(mod, "ignoring"),
      inputs: [t],
      outputs: [out],
      apiName: "ignore",
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  });
}

for (const kind of ["exit", "throw"]) {
  test(`a worker that crashes (${kind}): only its user gets an error, the thread is replaced, the next call works`, async () => {
    const app = await launch(workerApp(), { concurrencyCount: 2 }, { workerThreads: 2, showError: true });
    // The other user's call runs on the other thread while the crash happens.
    const [other, crashed] = await Promise.all([
      call(app, "busy", [300]),
      (async () => {
        await waitFor(() => (eventCounts(app).running === 1 ? true : undefined), 5000, "the other call running");
        return call(app, "crash", [kind]);
      })(),
    ]);
    assert.equal(crashed.event, "error");
    assert.match(String(crashed.data), /worker thread running crash stopped/);
    assert.equal(other.event, "complete", "the other user's call is not affected");
    const after = await call(app, "busy", [10]);
    assert.equal(after.event, "complete");
    await waitFor(() => (app.workers.threadIds.length === 2 ? true : undefined), 5000, "a replacement thread");
  });
}

test("a cancelled CPU-bound loop sees signal.aborted at once (shared flag), with reason CANCELLED", async () => {
  const app = await launch(workerApp(), { concurrencyCount: 1 }, { workerThreads: 1 });
  const m = marker();
  const id = await start(app, "coop", [m]);
  await waitFor(() => readMarker(m)?.started, 10_000, "the worker to start");
  assert.equal(await app.engine.cancel(id), true);
  const seen = await waitFor(
    () => (readMarker(m)?.aborted === true ? readMarker(m) : undefined),
    5000,
    "the worker to see the abort",
  );
  assert.equal(seen.code, "CANCELLED");
  const next = await call(app, "busy", [10]);
  assert.equal(next.event, "complete");
  assert.equal(next.data[0].threadId, seen.threadId, "the cooperative thread was not terminated");
});

test("an async worker function gets the signal's abort event", async () => {
  const app = await launch(workerApp(), { concurrencyCount: 1 }, { workerThreads: 1 });
  const m = marker();
  const id = await start(app, "wait", [m]);
  await waitFor(() => readMarker(m)?.started, 10_000, "the worker to start");
  await app.engine.cancel(id);
  const seen = await waitFor(
    () => (readMarker(m)?.viaEvent === true ? readMarker(m) : undefined),
    5000,
    "the abort event",
  );
  assert.equal(seen.aborted, true);
});

test("a call that ignores its signal has its thread terminated after workerAbortGraceMs, and its slot is freed only then", async () => {
  const graceMs = 400;
  const app = await launch(workerApp(), { concurrencyCount: 1 }, { workerThreads: 1, workerAbortGraceMs: graceMs });
  const m = marker();
  const id = await start(app, "ignore", [m]);
  const started = await waitFor(() => readMarker(m), 10_000, "the worker to start");
  // Queued behind it in the single slot.
  const nextId = await start(app, "busy", [10]);
  const cancelledAtMs = Date.now();
  await app.engine.cancel(id);
  const next = await result(app, "busy", nextId);
  assert.equal(next.event, "complete");
  const r = next.data[0];
  assert.notEqual(r.threadId, started.threadId, "a fresh thread replaced the terminated one");
  assert.ok(!app.workers.threadIds.includes(started.threadId), "the ignoring thread is gone");
  assert.ok(
    r.startMs >= cancelledAtMs + graceMs,
    `the next call started ${r.startMs - cancelledAtMs} ms after the cancel, before the grace period ended`,
  );
});

test("a timeout aborts the worker call: TIMEOUT for the user, then the ignoring thread is terminated", async () => {
  const app = await launch(workerApp(500), { concurrencyCount: 1 }, { workerThreads: 1, workerAbortGraceMs: 200 });
  assert.equal((await call(app, "busy", [1])).event, "complete"); // the thread has loaded the module
  const events = recordEvents(app);
  const m = marker();
  const id = await start(app, "ignore", [m]);
  const r = await result(app, "ignore", id);
  assert.equal(r.event, "error");
  const failed = events.find((e) => e.eventId === id && e.type === "failed");
  assert.ok(failed !== undefined && failed.type === "failed" && failed.error.code === "TIMEOUT");
  const started = readMarker(m);
  const next = await call(app, "busy", [10]);
  assert.equal(next.event, "complete");
  assert.notEqual(next.data[0].threadId, started.threadId);
});

test("a cancelled stream is closed in the worker at once: the thread is freed without waiting for the grace period", async () => {
  const app = await launch(workerApp(), { concurrencyCount: 1 }, { workerThreads: 1, workerAbortGraceMs: 60_000 });
  const events = recordEvents(app);
  const id = await start(app, "count", [500]);
  await waitFor(
    () => (events.some((e) => e.eventId === id && e.type === "generating") ? true : undefined),
    10_000,
    "a first chunk",
  );
  const threadsBefore = app.workers.threadIds;
  await app.engine.cancel(id);
  const next = await call(app, "busy", [1]);
  assert.equal(next.event, "complete");
  assert.deepEqual(app.workers.threadIds, threadsBefore, "the thread was not terminated");
  assert.ok(!events.some((e) => e.eventId === id && e.type === "completed"));
});
