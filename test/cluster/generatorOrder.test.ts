/**
 * A generator run by a worker for a front: its user sees the start before the first output. The
 * start is the front's to tell (the worker's claim is quiet: it tells the start at the end of the
 * claim's turn, after what the job yielded in that turn), so the front takes the first output
 * that comes from elsewhere as the start too, as it does a final.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, it } from "node:test";
import { Interface } from "../../src/index.ts";
import { runWorker } from "../../src/compose/runWorker.ts";
import { redisStore } from "../../src/redis.ts";
import type { RedisSessionBus } from "../../src/store/RedisSessionBus.ts";
import { launch, post } from "../helpers/launch.ts";
import { REDIS_URL, testPrefix } from "../helpers/redis.ts";
import { waitFor } from "../helpers/waitFor.ts";

it("a generator run by a worker: its start comes before its first output, once", async () => {
  const keyPrefix = testPrefix("genorder");
  const app = () =>
    new Interface({
      fn: async function* (x: string) {
        yield "1";
        await sleep(5);
        yield "2";
        yield x.toUpperCase();
      },
      inputs: "text",
      outputs: "text",
    });
  const front = await launch(app(), { store: redisStore({ url: REDIS_URL, keyPrefix }), localWorkers: false });
  const workerStore = redisStore({ url: REDIS_URL, keyPrefix });
  const worker = await runWorker(app().queue({ store: workerStore }), { quiet: true, handleSignals: false });
  after(() => worker.close({ graceMs: 0 }));
  // Quiet claims (the case that sent the start after the first output) start with the first heartbeat's count.
  await waitFor(async () => (workerStore.bus as RedisSessionBus).quietClaims, 5000, "the worker's claims are quiet");
  const seen: string[] = [];
  for (let i = 0; i < 20; i++) {
    const session = `gen${i}`;
    const join = await post(`${front.url}/gradio_api/queue/join`, { data: ["hi"], fn_index: 0, session_hash: session });
    assert.equal(join.status, 200);
    const text = await (await fetch(`${front.url}/gradio_api/queue/data?session_hash=${session}`)).text();
    seen.push([...text.matchAll(/"msg":"(\w+)"/g)].map((m) => m[1]).join(" "));
  }
  const expected =
    "estimation process_starts process_generating process_generating process_generating process_completed close_stream";
  // The estimation may be skipped (claimed at once); nothing else may differ.
  assert.deepEqual(
    seen.filter((s) => s !== expected && s !== expected.replace("estimation ", "")),
    [],
  );
});
