/**
 * Compatibility with the real Gradio 3.x-era client: @gradio/client 0.6.0 (installed as
 * `gradio-client-v0`), which reads `/config` and `/info` at the root, calls queued functions over
 * one WebSocket per call at `/queue/join` and the others with `POST /run/{name}`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { client } from "gradio-client-v0";
import { AppError, Blocks, Button, Interface, Textbox } from "../../src/index.ts";
import { eventCounts, launch } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";

type Status = { stage: string; message?: string; position?: number; size?: number; eta?: number | null };

test("predict on a queued function, by name and by index", async () => {
  const demo = new Interface({ fn: (s: string) => `${s}!`, inputs: "text", outputs: "text", apiName: "predict" });
  const app = await launch(demo, { apiOpen: false });
  const c = await client(app.url, {});
  assert.deepEqual(((await c.predict("/predict", ["hi"])) as { data: unknown }).data, ["hi!"]);
  assert.deepEqual(((await c.predict(0 as unknown as string, ["x"])) as { data: unknown }).data, ["x!"]);
});

test("a generator streams full values, with queue position before it starts", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const demo = new Interface({
    fn: async function* (s: string) {
      await gate;
      let acc = "";
      for (const ch of s) {
        acc += ch;
        yield acc;
      }
    },
    inputs: "text",
    outputs: "text",
    apiName: "gen",
  });
  const app = await launch(demo, { concurrencyCount: 1 });
  const c = await client(app.url, {});
  const first = c.submit("/gen", ["ab"]);
  const job = c.submit("/gen", ["Hello"]);
  const data: unknown[] = [];
  const statuses: Status[] = [];
  const finished = new Promise<void>((resolve) => {
    job.on("data", (d: { data: unknown[] }) => data.push(d.data[0]));
    job.on("status", (s: Status) => {
      statuses.push(s);
      if (s.stage === "complete" || s.stage === "error") resolve();
    });
  });
  await waitFor(() => statuses.some((s) => s.position !== undefined && s.size !== undefined), 5000, "an estimation");
  release();
  await finished;
  first.destroy();
  const queued = statuses.find((s) => s.position !== undefined && s.size !== undefined);
  assert.ok(queued, "an estimation status");
  assert.equal(queued.position, 0);
  assert.deepEqual(data, ["H", "He", "Hel", "Hell", "Hello", "Hello"]);
  assert.equal(statuses.at(-1)?.stage, "complete");
});

test("a full queue is refused with the client's busy message", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const demo = new Interface({
    fn: async (s: string) => {
      await gate;
      return s;
    },
    inputs: "text",
    outputs: "text",
    apiName: "predict",
  });
  const app = await launch(demo, { concurrencyCount: 1, maxSize: 1 });
  const c = await client(app.url, {});
  const running = c.predict("/predict", ["a"]);
  await waitFor(() => eventCounts(app).running === 1, 5000, "a running");
  const waiting = c.predict("/predict", ["b"]);
  await waitFor(() => eventCounts(app).waiting === 1, 5000, "b waiting");
  await assert.rejects(c.predict("/predict", ["c"]), (s: Status) => {
    assert.equal(s.stage, "error");
    assert.equal(s.message, "This application is too busy. Keep trying!");
    return true;
  });
  release();
  assert.deepEqual(((await running) as { data: unknown }).data, ["a"]);
  assert.deepEqual(((await waiting) as { data: unknown }).data, ["b"]);
});

test("an error in the function rejects predict with its message", async () => {
  const demo = new Interface({
    fn: (s: string) => {
      throw new AppError(`no ${s}`);
    },
    inputs: "text",
    outputs: "text",
    apiName: "predict",
  });
  const app = await launch(demo);
  const c = await client(app.url, {});
  await assert.rejects(c.predict("/predict", ["way"]), (s: Status) => {
    assert.deepEqual([s.stage, s.message], ["error", "no way"]);
    return true;
  });
});

test("a function with queue: false is called with POST /run at the root", async () => {
  const demo = new Blocks({}, () => {
    const a = new Textbox();
    const b = new Textbox();
    new Button().click({
      fn: (s: string) => s.toUpperCase(),
      inputs: [a],
      outputs: [b],
      apiName: "direct",
      queue: false,
    });
  });
  const app = await launch(demo);
  const c = await client(app.url, {});
  assert.deepEqual(((await c.predict("/direct", ["up"])) as { data: unknown }).data, ["UP"]);
});

test("cancel closes the event's socket: a waiting event leaves the queue", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const demo = new Interface({
    fn: async (s: string) => {
      await gate;
      return s;
    },
    inputs: "text",
    outputs: "text",
    apiName: "predict",
  });
  const app = await launch(demo, { concurrencyCount: 1 });
  const c = await client(app.url, {});
  const running = c.predict("/predict", ["a"]);
  await waitFor(() => eventCounts(app).running === 1, 5000, "a running");
  const job = c.submit("/predict", ["b"]);
  await waitFor(() => eventCounts(app).waiting === 1, 5000, "b waiting");
  assert.equal(await app.engine.size(), 1);
  await job.cancel();
  await waitFor(async () => (await app.engine.size()) === 0, 5000, "b left the queue");
  release();
  assert.deepEqual(((await running) as { data: unknown }).data, ["a"]);
});
