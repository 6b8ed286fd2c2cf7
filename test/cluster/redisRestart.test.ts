/**
 * Redis going away and coming back, on a private redis-server (so the shared one is never
 * disturbed): meanwhile joins get 503 STORE_UNAVAILABLE with a JSON detail at once; afterwards
 * Usher works again without a restart, and a request that was running when Redis lost its data
 * (no persistence) still delivers its result.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, it } from "node:test";
import { Interface } from "../../src/index.ts";
import { redisStore } from "../../src/redis.ts";
import { launch, post, readSse } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { freePort, killProcess, spawnRedis } from "../helpers/redisProcess.ts";

it("answers 503 STORE_UNAVAILABLE while Redis is down and recovers when it is back, without a restart", async () => {
  const port = await freePort();
  let redis = await spawnRedis(port);
  after(() => killProcess(redis));
  let slowRuns = false;
  const demo = new Interface({
    fn: async (x: string) => {
      if (x === "slow") slowRuns = true;
      await sleep(x === "slow" ? 1500 : 20);
      return x.toUpperCase();
    },
    inputs: "text",
    outputs: "text",
    apiName: "up",
  });
  const app = await launch(demo, {
    store: redisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: "restart:", leaseMs: 1000 }),
  });
  const predict = async (session: string, x: string) => {
    const joined = await post(`${app.url}/gradio_api/queue/join`, { data: [x], fn_index: 0, session_hash: session });
    if (joined.status !== 200) return { status: joined.status, json: joined.json };
    const messages = await readSse(`${app.url}/gradio_api/queue/data?session_hash=${session}`);
    return {
      status: 200,
      json: messages.find((m) => m.data.msg === "process_completed")?.data ?? messages.map((m) => m.data),
    };
  };
  assert.deepEqual((await predict("before", "a")).json.output.data, ["A"]);

  // A request in flight when Redis goes (and comes back empty).
  const inflight = await post(`${app.url}/gradio_api/queue/join`, {
    data: ["slow"],
    fn_index: 0,
    session_hash: "inflight",
  });
  const inflightStream = readSse(`${app.url}/gradio_api/queue/data?session_hash=inflight`);
  await waitFor(() => slowRuns, 5000, "the slow request running");
  await killProcess(redis);
  await waitFor(
    async () => (await fetch(`${app.url}/gradio_api/queue/status`)).status === 503,
    5000,
    "the server saw Redis go",
  );

  const t0 = Date.now();
  const refused = await post(`${app.url}/gradio_api/queue/join`, { data: ["b"], fn_index: 0, session_hash: "during" });
  assert.equal(refused.status, 503, refused.text);
  assert.match(String(refused.json.detail), /queue store \(Redis\) cannot be reached/);
  assert.ok(Date.now() - t0 < 500, "refused at once, not after a hang");
  assert.equal((await fetch(`${app.url}/gradio_api/queue/status`)).status, 503);

  redis = await spawnRedis(port);
  let after503: { status: number; json: any } = { status: 0, json: null };
  let attempt = 0;
  await waitFor(async () => (after503 = await predict(`after${attempt++}`, "c")).status === 200, 10_000).catch(
    () => undefined,
  );
  assert.equal(after503.status, 200, JSON.stringify(after503.json));
  assert.deepEqual(after503.json.output.data, ["C"]);

  // Redis came back empty while the request ran: it still delivers its result, once (the result
  // went out while Redis was away, waited in the outbox, and was published when Redis was back).
  assert.equal(inflight.status, 200);
  const messages = await inflightStream;
  const done = messages.filter((m) => m.data.msg === "process_completed").map((m) => m.data);
  assert.equal(done.length, 1, JSON.stringify(messages.map((m) => m.data)));
  assert.equal(done[0].success, true, JSON.stringify(done));
  assert.deepEqual(done[0].output.data, ["SLOW"]);
});
