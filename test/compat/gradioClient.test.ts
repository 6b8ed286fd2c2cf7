/**
 * Compatibility with the real @gradio/client (2.x, from npm), driven in Node against real servers.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client, handle_file } from "@gradio/client";
import { AppError, Interface, NumberInput, Textbox } from "../../src/index.ts";
import { eventCounts, launch } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";

type Ev = { type: string; stage?: string; [k: string]: any };

/** The client's status for an `estimation` message (a place in the queue). */
function isEstimation(e: Ev): boolean {
  return e.type === "status" && e.stage === "pending" && e.position !== undefined && e.original_msg === undefined;
}

/** Every event of a job, into `out` as they come (so a test can wait for one), resolved at its end. */
async function collect(job: AsyncIterable<unknown>, out: Ev[] = []): Promise<Ev[]> {
  for await (const ev of job) out.push(ev as Ev);
  return out;
}

test("connect, then predict by name, by keyword and by index", async () => {
  const demo = new Interface({
    fn: (name: string, times: number | null) => `${name}!`.repeat(times ?? 1),
    inputs: [new Textbox({ label: "name" }), new NumberInput({ label: "times", value: 2 })],
    outputs: "text",
    apiName: "shout",
  });
  const app = await launch(demo);
  const client = await Client.connect(app.url);
  assert.deepEqual((await client.predict("/shout", ["a", 3])).data, ["a!a!a!"]);
  assert.deepEqual((await client.predict("/shout", { name: "b", times: 1 })).data, ["b!"]);
  assert.deepEqual((await client.predict(0, ["c", 2])).data, ["c!c!"]);
  // A keyword left out falls back to the component's default value (2).
  assert.deepEqual((await client.predict("/shout", { name: "d" })).data, ["d!d!"]);
});

test("submit reports estimation with rank and ETA, process start, progress, logs, diffed chunks and completion", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const gen = new Interface({
    fn: async function* (text: string, ctx: any) {
      await gate;
      ctx.progress(0.5, "half way");
      ctx.info("hello from the function");
      let acc = "";
      for (const ch of text) {
        acc += ch;
        yield acc;
      }
    },
    inputs: "text",
    outputs: "text",
    apiName: "gen",
    expectedDurationMs: 200,
  });
  const app = await launch(gen, { concurrencyCount: 1 });
  const client = await Client.connect(app.url, { events: ["data", "status", "log"] });
  const first = collect(client.submit("/gen", ["ab"]));
  const secondJob = client.submit("/gen", ["Hello"]);
  const seen: Ev[] = [];
  const second = collect(secondJob, seen);
  await waitFor(() => seen.some(isEstimation), 5000, "the second job's estimation");
  release();
  const evs = await second;
  await first;
  const estimation = evs.find(isEstimation);
  assert.ok(estimation, "an estimation status");
  // Nothing waits ahead of it (the first one runs), but its result needs the running call and its own.
  assert.equal(estimation.position, 0);
  assert.equal(typeof estimation.eta, "number", "an ETA seeded by expectedDurationMs");
  assert.ok(estimation.eta > 0.3 && estimation.eta <= 0.4, `eta ${estimation.eta}`);
  assert.ok(
    evs.some((e) => e.original_msg === "process_starts"),
    "process_starts",
  );
  const progress = evs.find((e) => e.type === "status" && e.progress_data);
  assert.equal(progress?.progress_data[0].desc, "half way");
  const log = evs.find((e) => e.type === "log");
  assert.equal(log?.log, "hello from the function");
  assert.equal(log?.level, "info");
  const data = evs.filter((e) => e.type === "data").map((e) => e.data[0]);
  // The client applied our diffs: every chunk arrives as the full text.
  assert.deepEqual(data.slice(0, 5), ["H", "He", "Hel", "Hell", "Hello"]);
  assert.equal(data.at(-1), "Hello");
  assert.equal(evs.at(-1)?.stage, "complete");
});

test("a full queue gives the client's busy error", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const demo = new Interface({
    fn: async (x: string) => {
      await gate;
      return x;
    },
    inputs: "text",
    outputs: "text",
    apiName: "slow",
  });
  const app = await launch(demo, { concurrencyCount: 1, maxSize: 1 });
  const client = await Client.connect(app.url);
  const running = client.predict("/slow", ["a"]);
  await waitFor(() => eventCounts(app).running === 1, 5000, "a running");
  const waiting = client.predict("/slow", ["b"]);
  await waitFor(() => eventCounts(app).waiting === 1, 5000, "b waiting");
  await assert.rejects(client.predict("/slow", ["c"]), (err: any) => {
    assert.match(String(err.message ?? err), /busy/i);
    return true;
  });
  release();
  assert.deepEqual((await running).data, ["a"]);
  assert.deepEqual((await waiting).data, ["b"]);
});

test("an AppError's message reaches the client; other errors stay generic", async () => {
  const demo = new Interface({
    fn: (x: string) => {
      if (x === "app") throw new AppError("No cats allowed.");
      throw new Error("secret internals");
    },
    inputs: "text",
    outputs: "text",
    apiName: "fail",
  });
  const app = await launch(demo);
  const client = await Client.connect(app.url);
  await assert.rejects(client.predict("/fail", ["app"]), (err: any) => {
    assert.equal(err.message, "No cats allowed.");
    return true;
  });
  await assert.rejects(client.predict("/fail", ["other"]), (err: any) => {
    assert.doesNotMatch(String(err.message), /secret/);
    return true;
  });
});

test("cancel ends a waiting and a running event with a 'Cancelled' status, and frees the slot", async () => {
  let started = 0;
  let aborted = 0;
  const demo = new Interface({
    fn: async (x: string, ctx: any) => {
      started++;
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      aborted++;
      return x;
    },
    inputs: "text",
    outputs: "text",
    apiName: "hang",
  });
  const app = await launch(demo, { concurrencyCount: 1 });
  const client = await Client.connect(app.url, { events: ["data", "status"] });
  // Each job is cancelled once the client has heard of it from the server (it knows its event id).
  const runningJob = client.submit("/hang", ["a"]);
  const runningSeen: Ev[] = [];
  const running = collect(runningJob, runningSeen);
  await waitFor(() => runningSeen.some((e) => e.original_msg === "process_starts"), 5000, "a running");
  const waitingJob = client.submit("/hang", ["b"]);
  const waitingSeen: Ev[] = [];
  const waiting = collect(waitingJob, waitingSeen);
  await waitFor(() => waitingSeen.some(isEstimation), 5000, "b waiting");
  await waitingJob.cancel();
  await runningJob.cancel();
  for (const evs of [await waiting, await running]) {
    const last = evs.at(-1);
    assert.equal(last?.stage, "error");
    assert.match(String(last?.message), /cancel/i);
    assert.equal(last?.code, "cancelled");
  }
  assert.equal(started, 1, "the waiting event never ran");
  assert.equal(aborted, 1, "the running one saw its abort signal");
  assert.equal(await app.engine.size(), 0);
});

test("a file goes up, through the function and back down", async () => {
  const demo = new Interface({
    fn: async (file: any) => {
      const bytes: Buffer = await file.read();
      return { data: Buffer.from(bytes.toString("utf8").toUpperCase()), name: "upper.txt" };
    },
    inputs: "file",
    outputs: "file",
    apiName: "upper",
  });
  const app = await launch(demo);
  const client = await Client.connect(app.url);
  const result = await client.predict("/upper", [handle_file(new Blob([Buffer.from("hello file")]))]);
  const out = (result.data as any[])[0];
  assert.equal(out.orig_name, "upper.txt");
  assert.ok(String(out.url).startsWith(`${app.url}/gradio_api/file=`), out.url);
  const res = await fetch(out.url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "HELLO FILE");
});

test("concurrent predicts to a batched endpoint arrive in one call", async () => {
  const calls: string[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const demo = new Interface({
    fn: async (xs: string[]) => {
      calls.push(xs);
      if (calls.length === 1) await gate;
      return [xs.map((x) => x.toUpperCase())];
    },
    inputs: "text",
    outputs: "text",
    batch: true,
    maxBatchSize: 8,
    apiName: "upper",
  });
  const app = await launch(demo, { concurrencyCount: 1 });
  const client = await Client.connect(app.url);
  const blocker = client.predict("/upper", ["first"]);
  await waitFor(() => eventCounts(app).running === 1, 5000, "the blocker running");
  const many = ["a", "b", "c", "d", "e"].map((x) => client.predict("/upper", [x]));
  await waitFor(() => eventCounts(app).waiting === 5, 5000, "five waiting");
  release();
  const results = await Promise.all(many);
  assert.deepEqual(
    results.map((r: { data: unknown }) => (r.data as string[])[0]),
    ["A", "B", "C", "D", "E"],
  );
  assert.deepEqual((await blocker).data, ["FIRST"]);
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[1], ["a", "b", "c", "d", "e"]);
});
