/**
 * The fair queue through the real doors on Redis: two fronts admit, a worker runs, one queue
 * (docs/fair-queue.md). A client's later jobs wait behind another client's first whichever front
 * each joined through, and `maxPerClient` counts a client's jobs on every front.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Interface, type QueueOptions } from "../../src/index.ts";
import { redisStore } from "../../src/redis.ts";
import { runWorker } from "../../src/compose/runWorker.ts";
import { gateOf } from "../helpers/gatedDemo.ts";
import { launch, post, readSse } from "../helpers/launch.ts";
import { REDIS_URL, testPrefix } from "../helpers/redis.ts";
import { waitFor } from "../helpers/waitFor.ts";

/** Inputs in the order the worker ran them. */
const ran: string[] = [];

const demo = () =>
  new Interface({
    fn: async (s: string) => {
      ran.push(s);
      await gateOf(s).wait;
      return s.toUpperCase();
    },
    inputs: "text",
    outputs: "text",
    apiName: "up",
  });

describe("fair queue on Redis, through the doors", () => {
  it("serves clients round robin across fronts and counts maxPerClient on every front", async () => {
    const keyPrefix = testPrefix("fair");
    const options = (): QueueOptions => ({
      store: redisStore({ url: REDIS_URL, keyPrefix, leaseMs: 1000 }),
      fairness: true,
      maxPerClient: 3,
      clientKey: (request) => String(request.headers["x-user"] ?? request.address),
    });
    const a = await launch(demo(), { ...options(), localWorkers: false });
    const b = await launch(demo(), { ...options(), localWorkers: false });
    const worker = await runWorker(demo().queue(options()), { quiet: true, handleSignals: false });
    after(() => worker.close({ graceMs: 0 }));
    const join = async (url: string, user: string, word: string) => {
      const headers = { "content-type": "application/json", "x-user": user };
      return post(`${url}/gradio_api/queue/join`, { data: [word], fn_index: 0, session_hash: `s-${word}` }, headers);
    };
    // The worker's one slot is taken: what follows waits.
    assert.equal((await join(a.url, "first", "block")).status, 200);
    await waitFor(async () => ran.length === 1, 5000, "the first job running");
    for (const word of ["h1", "h2", "h3"]) assert.equal((await join(a.url, "hog", word)).status, 200);
    assert.equal((await join(b.url, "visitor", "v1")).status, 200);
    const refused = await join(b.url, "hog", "h4");
    assert.equal(refused.status, 429, refused.text);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1, "a refusal says when to retry");
    assert.match(refused.text, /3 requests/);
    for (const word of ["block", "h1", "v1", "h2", "h3"]) gateOf(word).open();
    const streams = await Promise.all(
      ["block", "h1", "h2", "h3", "v1"].map((word) =>
        readSse(`${(word === "v1" ? b : a).url}/gradio_api/queue/data?session_hash=s-${word}`),
      ),
    );
    for (const messages of streams) assert.ok(messages.some((m) => m.data.msg === "process_completed"));
    assert.deepEqual(ran, ["block", "h1", "v1", "h2", "h3"]);
    // Every job ended: the hog may join again.
    gateOf("h5").open();
    assert.equal((await join(b.url, "hog", "h5")).status, 200);
  });
});
