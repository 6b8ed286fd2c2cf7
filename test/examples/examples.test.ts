/**
 * Each example in examples/ does what its guide idea promises, through the real @gradio/client,
 * launched with the example's own queue settings (as `npm run example <file>` does).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Client } from "@gradio/client";
import type { Blocks, RunningApp } from "../../src/index.ts";
import { eventCounts, post } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";

async function launchExample(name: string): Promise<{ app: RunningApp; client: Client }> {
  const mod = (await import(`../../examples/${name}.ts`)) as { default: Blocks };
  const app = await mod.default.launch({ port: 0, host: "127.0.0.1", quiet: true, logLevel: false });
  after(() => app.close({ graceMs: 0 }));
  return { app, client: await Client.connect(app.url) };
}

test("concurrency: 4 one-second calls run at once", async () => {
  const { client } = await launchExample("concurrency");
  const started = performance.now();
  const results = (await Promise.all(["a", "b", "c", "d"].map((x) => client.predict("/predict", [x])))) as {
    data: unknown[];
  }[];
  const elapsed = performance.now() - started;
  assert.deepEqual(
    results.map((r) => r.data[0]),
    ["A", "B", "C", "D"],
  );
  assert.ok(elapsed < 1900, `took ${elapsed.toFixed(0)} ms`);
});

test("maxSize: with one running and 3 waiting, the next request is refused at once", async () => {
  const { app, client } = await launchExample("maxSize");
  const accepted = [client.predict("/predict", ["run"])];
  await waitFor(() => eventCounts(app).running === 1, 5000, "one running");
  for (const x of ["w1", "w2", "w3"]) accepted.push(client.predict("/predict", [x]));
  await waitFor(() => eventCounts(app).waiting === 3, 5000, "three waiting");
  const started = performance.now();
  await assert.rejects(client.predict("/predict", ["one too many"]), (err: any) =>
    /busy|full/i.test(String(err.message ?? err)),
  );
  assert.ok(performance.now() - started < 1000, "refused without waiting");
  // The accepted ones are dropped when the server closes (graceMs 0) at the end of the file.
  for (const p of accepted) p.catch(() => undefined);
});

test("batch: requests that wait together arrive in one call", async () => {
  const { client } = await launchExample("batch");
  const results = (await Promise.all(
    ["one", "two words", "three words here"].map((x) => client.predict("/predict", [x])),
  )) as {
    data: unknown[];
  }[];
  const texts = results.map((r) => String(r.data[0]));
  assert.match(texts[0]!, /^1 words/);
  assert.match(texts[2]!, /^3 words/);
  assert.ok(
    texts.some((t) => !t.endsWith("batch of 1)")),
    `batched: ${texts.join(" | ")}`,
  );
});

test("apiOpen false: the direct POST route is refused, the queue still answers", async () => {
  const { app, client } = await launchExample("apiOpen");
  const direct = await post(`${app.url}/gradio_api/run/predict`, { data: ["x"] });
  assert.ok(direct.status >= 400 && direct.status < 500, `status ${direct.status}`);
  assert.deepEqual((await client.predict("/predict", ["queue"])).data, ["Hello, queue!"]);
});

test("streaming: the typewriter streams one character at a time", async () => {
  const { client } = await launchExample("streaming");
  const chunks: string[] = [];
  for await (const ev of client.submit("/predict", ["abc"])) {
    if ((ev as { type: string }).type === "data") chunks.push(String((ev as { data: unknown[] }).data[0]));
  }
  assert.deepEqual(chunks.slice(0, 3), ["a", "ab", "abc"]);
});
