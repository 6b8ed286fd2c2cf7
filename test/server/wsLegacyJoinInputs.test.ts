/**
 * Gradio 3.x sockets with their inputs asked for at join (`launch({ legacyInputsAt: "join" })`,
 * the default): the event joins the queue with its inputs, so no job waits on its client, while
 * the session, its State, the queue's order and limits stay those of 3.x's sockets. The 3.x
 * timing (`"start"`) is wsLegacy.test.ts's.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Blocks, Button, Interface, NumberInput, State } from "../../src/index.ts";
import { redisStore } from "../../src/redis.ts";
import { legacyDataTimeoutMessage } from "../../src/server/ws/LegacyDataWait.ts";
import { launch } from "../helpers/launch.ts";
import { gate, gatedEcho } from "../helpers/gatedDemo.ts";
import { legacyJoin, sendData } from "../helpers/legacySocket.ts";
import { REDIS_URL, testPrefix } from "../helpers/redis.ts";
import { waitFor } from "../helpers/waitFor.ts";

test("a client that stays silent after send_data holds no slot: the others run meanwhile", async () => {
  const g = gate();
  let calls = 0;
  const demo = new Interface({
    fn: async (s: string) => {
      if (calls++ === 0) await g.wait;
      return `${s}!`;
    },
    inputs: "text",
    outputs: "text",
  });
  const app = await launch(demo, { concurrencyCount: 1 }, { legacyDataTimeoutMs: 400 });
  const a = await legacyJoin(app.url, 0);
  await sendData(a, ["a"]);
  await a.next((f) => f["msg"] === "process_starts");
  // Asked for its inputs at once, before it joins: it waits in no queue and holds nothing.
  const silent = await legacyJoin(app.url, 0, "quiet");
  await silent.next((f) => f["msg"] === "send_data");
  const c = await legacyJoin(app.url, 0, "c");
  await sendData(c, ["c"], 0, "c");
  const est = await c.next((f) => f["msg"] === "estimation");
  assert.deepEqual([est["rank"], est["queue_size"]], [0, 1], "c waits behind a alone");
  g.open();
  assert.deepEqual((await c.next((f) => f["msg"] === "process_completed"))["output"].data, ["c!"]);
  const lost = await silent.next((f) => f["msg"] === "process_completed");
  assert.deepEqual(lost["output"], { error: legacyDataTimeoutMessage("silent", 400) });
  assert.equal((await silent.closed).code, 1000);
  assert.equal(calls, 2, "the silent client's job never ran");
});

test("a session's State carries over between its 3.x events, as with the inputs at start", async () => {
  const demo = new Blocks({}, () => {
    const count = new State(0);
    const out = new NumberInput();
    new Button("count").click({ fn: (n: number) => [n + 1, n + 1], inputs: [count], outputs: [out, count] });
  });
  for (const at of ["join", "start"] as const) {
    const app = await launch(demo, {}, { legacyInputsAt: at });
    for (const expected of [1, 2]) {
      const s = await legacyJoin(app.url, 0, `counter-${at}`);
      await sendData(s, [null], 0, `counter-${at}`);
      const done = await s.next((f) => f["msg"] === "process_completed");
      assert.equal(done["output"].data[0], expected, `${at}, call ${expected}`);
    }
    await app.close();
  }
});

test("a full queue: queue_full once the inputs came, then close; a socket gone while waiting leaves the queue", async () => {
  const { demo, open } = gatedEcho();
  const app = await launch(demo, { concurrencyCount: 1, maxSize: 1 });
  const a = await legacyJoin(app.url, 0, "a");
  await sendData(a, ["a"], 0, "a");
  await a.next((f) => f["msg"] === "process_starts");
  const b = await legacyJoin(app.url, 0, "b");
  await sendData(b, ["b"], 0, "b");
  await b.next((f) => f["msg"] === "estimation");
  const c = await legacyJoin(app.url, 0, "c");
  await sendData(c, ["c"], 0, "c");
  await c.next((f) => f["msg"] === "queue_full");
  assert.equal((await c.closed).code, 1000);
  b.close();
  await waitFor(async () => (await app.engine.size()) === 0, 5000, "b left the queue at once");
  open();
  assert.deepEqual((await a.next((f) => f["msg"] === "process_completed"))["output"].data, ["a"]);
});

test('legacyInputsAt: "start" is refused with a queue shared by several processes', async () => {
  const demo = new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text" });
  const store = redisStore({ url: REDIS_URL, keyPrefix: testPrefix("inputs-at") });
  // Refused before the launch took the store: it is still the caller's to close (once started, so
  // that nothing it writes at start comes after the file's cleanup).
  after(() => store.close());
  await store.ready(5000);
  await assert.rejects(
    launch(demo, { store }, { legacyInputsAt: "start" }),
    /legacyInputsAt: "start" needs the in-memory store/,
  );
});

test("a batch: the events waiting with their inputs run as one call; a silent one never joins it", async () => {
  const g = gate();
  const sizes: number[] = [];
  const demo = new Interface({
    fn: async (xs: string[]) => {
      sizes.push(xs.length);
      if (sizes.length === 1) await g.wait;
      return [xs.map((x) => x.toUpperCase())];
    },
    inputs: "text",
    outputs: "text",
    batch: true,
    maxBatchSize: 4,
  });
  const app = await launch(demo, { concurrencyCount: 1 }, { legacyDataTimeoutMs: 300 });
  const first = await legacyJoin(app.url, 0, "b0");
  await sendData(first, ["first"], 0, "b0");
  await first.next((f) => f["msg"] === "process_starts");
  const sockets = await Promise.all(["b1", "b2", "b3"].map((h) => legacyJoin(app.url, 0, h)));
  await sendData(sockets[0]!, ["x"], 0, "b1");
  await sockets[1]!.next((f) => f["msg"] === "send_data");
  await sendData(sockets[2]!, ["z"], 0, "b3");
  for (const s of [sockets[0]!, sockets[2]!]) await s.next((f) => f["msg"] === "estimation");
  g.open();
  const results = await Promise.all(sockets.map((s) => s.next((f) => f["msg"] === "process_completed", 3000)));
  assert.deepEqual(results[0]?.["output"].data, ["X"]);
  assert.deepEqual(results[1]?.["output"], { error: legacyDataTimeoutMessage("silent", 300) });
  assert.deepEqual(results[2]?.["output"].data, ["Z"]);
  assert.deepEqual(sizes, [1, 2], "x and z in one call, without the silent one");
});
