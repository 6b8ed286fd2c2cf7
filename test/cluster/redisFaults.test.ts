/**
 * Issue 14's Redis faults, replayed in one process (two fronts with no local workers and a worker,
 * each with its own store, i.e. its own node) on a private redis-server:
 * - a job running on the worker when Redis is killed and restarted empty delivers its result, once,
 *   through the stream opened before (and a job that waited is told it was lost);
 * - a job whose worker died while Redis restarted empty is failed with a clear message;
 * - a job that finishes while Redis is away delivers its result once Redis is back;
 * - a pause of Redis longer than a lease is taken for no death (no retry, no session let go);
 * - a worker started after a job joined takes it at once.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Interface } from "../../src/index.ts";
import { RedisStore, redisStore } from "../../src/redis.ts";
import { runWorker } from "../../src/compose/runWorker.ts";
import { launch, post, readSse } from "../helpers/launch.ts";
import { RedisServer } from "../helpers/redisServer.ts";
import { BATCH_FUNCTION } from "../../src/store/redisBatch.ts";

/** `sleep:<ms>` waits that long, then echoes. */
function app() {
  return new Interface({
    fn: async (x: string) => {
      await sleep(Number(x.split(":")[1] ?? 0));
      return `done ${x}`;
    },
    inputs: "text",
    outputs: "text",
    apiName: "work",
  });
}

const redis = await RedisServer.start();

describe("Redis faults", () => {
  let prefixes = 0;
  const store = () => redisStore({ url: redis.url, keyPrefix: `faults${prefixes}:`, leaseMs: 1500 });

  async function cluster(withWorker = true) {
    prefixes++;
    const a = await launch(app(), { store: store(), localWorkers: false });
    const b = await launch(app(), { store: store(), localWorkers: false });
    const startWorker = async () => {
      const w = await runWorker(app().queue({ store: store() }), { quiet: true, handleSignals: false });
      after(() => w.close({ graceMs: 0 }));
      return w;
    };
    const worker = withWorker ? await startWorker() : null;
    return { a, b, worker, startWorker };
  }

  const join = (url: string, session: string, input: string) =>
    post(`${url}/gradio_api/queue/join`, { data: [input], fn_index: 0, session_hash: session });
  const ends = (messages: { data: any }[]) =>
    messages.filter((m) => m.data.msg === "process_completed").map((m) => m.data);

  it("delivers the result of a job that was running when Redis restarted empty, and fails the one that waited", async () => {
    const { a, b } = await cluster();
    const running = await join(a.url, "run", "sleep:1500");
    assert.equal(running.status, 200, running.text);
    const waiting = await join(a.url, "wait", "sleep:10");
    assert.equal(waiting.status, 200, waiting.text);
    // Streams through the other front, opened before the fault.
    const runStream = readSse(`${b.url}/gradio_api/queue/data?session_hash=run`);
    const waitStream = readSse(`${b.url}/gradio_api/queue/data?session_hash=wait`);
    await sleep(400);
    await redis.kill();
    await sleep(500);
    await redis.restart();
    const ran = ends(await runStream);
    assert.equal(ran.length, 1, JSON.stringify(ran));
    assert.equal(ran[0].success, true, JSON.stringify(ran));
    assert.deepEqual(ran[0].output.data, ["done sleep:1500"]);
    const waited = ends(await waitStream);
    assert.equal(waited.length, 1, JSON.stringify(waited));
    assert.equal(waited[0].success, false);
    assert.match(String(waited[0].output.error), /restarted and lost this request/);
    // And the cluster works on.
    const next = await join(b.url, "next", "sleep:10");
    assert.equal(next.status, 200, next.text);
    assert.deepEqual(ends(await readSse(`${a.url}/gradio_api/queue/data?session_hash=next`))[0]?.output.data, [
      "done sleep:10",
    ]);
    // The restart took the batch function's library with it: the first call after it loaded it
    // again, and did not fall back to the scripts for good.
    const probe = new Redis(redis.url);
    try {
      const libraries = JSON.stringify(await probe.call("FUNCTION", "LIST", "LIBRARYNAME", "usher_*"));
      assert.ok(libraries.includes(BATCH_FUNCTION), libraries);
    } finally {
      probe.disconnect();
    }
  });

  it("fails, with a clear message, a job whose worker died while Redis restarted empty", async () => {
    const { a, b, worker } = await cluster();
    const j = await join(a.url, "orphan", "sleep:5000");
    assert.equal(j.status, 200, j.text);
    const stream = readSse(`${b.url}/gradio_api/queue/data?session_hash=orphan`);
    await sleep(400);
    await redis.kill();
    // The worker goes too, with no chance to tell anyone (Redis is away): nothing will write the job back.
    await worker?.close({ graceMs: 0 });
    await sleep(300);
    const t0 = Date.now();
    await redis.restart();
    const done = ends(await stream);
    const tookMs = Date.now() - t0;
    assert.equal(done.length, 1, JSON.stringify(done));
    assert.equal(done[0].success, false);
    assert.match(String(done[0].output.error), /restarted and lost this request/);
    // Told once the live processes had leaseMs (1500) to write their jobs back, not much later.
    assert.ok(tookMs < 1500 + 2000, `told after ${tookMs} ms`);
  });

  it("delivers the result of a job that finished while Redis was away", async () => {
    const { a, b } = await cluster();
    const j = await join(a.url, "away", "sleep:600");
    assert.equal(j.status, 200, j.text);
    const stream = readSse(`${b.url}/gradio_api/queue/data?session_hash=away`);
    await sleep(300);
    await redis.kill();
    // The job ends meanwhile; its result waits in the worker's outbox.
    await sleep(1200);
    await redis.restart();
    const done = ends(await stream);
    assert.equal(done.length, 1, JSON.stringify(done));
    assert.deepEqual(done[0].output.data, ["done sleep:600"]);
  });

  it("takes a pause of Redis longer than a lease for neither a dead worker nor a dead front", async () => {
    const keyPrefix = `pause${prefixes++}:`;
    const leaseMs = 300;
    const front = new RedisStore({ url: redis.url, keyPrefix, leaseMs });
    const worker = new RedisStore({ url: redis.url, keyPrefix, leaseMs });
    after(() => Promise.all([front.close(), worker.close()]));
    await Promise.all([front.ready(), worker.ready()]);
    const job = (eventId: string) => ({
      eventId,
      sessionHash: "user",
      fnId: 0,
      poolId: "default",
      data: [],
      rootUrl: "",
      meta: {},
      enqueuedAtMs: 0,
    });
    await front.enqueue(job("running"), null);
    await front.enqueue(job("waiting"), null);
    const claim = await worker.claim({ poolLimits: new Map([["default", 1]]), batchSizes: new Map() });
    assert.deepEqual(
      claim?.jobs.map((j) => j.eventId),
      ["running"],
    );
    // Let a few reaps pass, then stop Redis for three leases.
    await sleep(2 * leaseMs);
    redis.pause(true);
    await sleep(3 * leaseMs);
    redis.pause(false);
    await sleep(3 * leaseMs);
    assert.equal(await worker.running("default"), 1, "the lease survived the pause");
    assert.deepEqual(
      (await front.waiting("default")).map((j) => j.eventId),
      ["waiting"],
      "the front's session survived the pause",
    );
    assert.deepEqual((await front.bus.pendingEvents("user")).sort(), ["running", "waiting"]);
    await worker.release("default", claim ?? undefined);
  });

  it("runs a job that joined before any worker started as soon as one starts", async () => {
    const { a, startWorker } = await cluster(false);
    const j = await join(a.url, "early", "sleep:10");
    assert.equal(j.status, 200, j.text);
    const stream = readSse(`${a.url}/gradio_api/queue/data?session_hash=early`);
    await sleep(300);
    const t0 = Date.now();
    await startWorker();
    const done = ends(await stream);
    const tookMs = Date.now() - t0;
    assert.deepEqual(done[0]?.output.data, ["done sleep:10"]);
    assert.ok(tookMs < 1000, `the late worker took ${tookMs} ms to start the job`);
  });
});
