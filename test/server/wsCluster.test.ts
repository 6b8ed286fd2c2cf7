/**
 * The queue sockets on a queue shared through Redis, with the jobs run by a worker process (here
 * in this process): the multiplexed socket works as on one process, and a Gradio 3.x socket asks
 * for its inputs right after admission (the job runs where the socket is not).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { client } from "gradio-client-v0";
import { Interface } from "../../src/index.ts";
import { redisStore } from "../../src/redis.ts";
import { runWorker } from "../../src/compose/runWorker.ts";
import { launch } from "../helpers/launch.ts";
import { REDIS_URL, testPrefix } from "../helpers/redis.ts";
import { completed, join, queueSocket, TestSocket, wsUrl } from "../helpers/wsClient.ts";

const upper = () =>
  new Interface({ fn: (x: string) => x.toUpperCase(), inputs: "text", outputs: "text", apiName: "up" });

async function front() {
  const keyPrefix = testPrefix("ws");
  const store = () => redisStore({ url: REDIS_URL, keyPrefix, leaseMs: 1000 });
  const app = await launch(upper(), { store: store(), localWorkers: false });
  const worker = await runWorker(upper().queue({ store: store() }), { quiet: true, handleSignals: false });
  after(() => worker.close({ graceMs: 0 }));
  return app;
}

test("shared queue: events joined over the multiplexed socket run on the worker and come back", async () => {
  const app = await front();
  const s = await queueSocket(app.url, "cluster-tab");
  const ids = await Promise.all(["a", "b", "c"].map(async (x, i) => (await join(s, i, 0, [x]))["event_id"] as string));
  const results = await Promise.all(ids.map((id) => completed(s, id, 10_000)));
  assert.deepEqual(
    results.map((r) => r["output"].data[0]),
    ["A", "B", "C"],
  );
  s.close();
});

test("shared queue: a 3.x socket sends its inputs right after the hash, then waits as usual", async () => {
  const app = await front();
  const s = new TestSocket(wsUrl(app.url, "/queue/join"));
  await s.next((f) => f["msg"] === "send_hash");
  s.send({ fn_index: 0, session_hash: "c3" });
  await s.next((f) => f["msg"] === "send_data");
  s.send({ data: ["hi"], event_data: null, fn_index: 0, session_hash: "c3" });
  const done = await s.next((f) => f["msg"] === "process_completed", 10_000);
  assert.deepEqual(done["output"].data, ["HI"]);
  assert.deepEqual(
    s.frames.map((f) => f["msg"]).filter((m) => m !== "estimation"),
    ["send_hash", "send_data", "process_starts", "process_completed"],
  );
  // Estimations (when the worker did not take it at once) come after the inputs.
  const firstEstimation = s.frames.findIndex((f) => f["msg"] === "estimation");
  assert.ok(firstEstimation === -1 || firstEstimation > 1, JSON.stringify(s.frames));
  // And the real 3.x-era client does not mind.
  const c = await client(app.url, {});
  assert.deepEqual(((await c.predict("/up", ["ok"])) as { data: unknown }).data, ["OK"]);
});
