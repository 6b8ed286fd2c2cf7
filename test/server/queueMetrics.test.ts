/**
 * `/metrics` of issue 17: waiting events per priority level (`usher_queue_waiting_by_priority`)
 * and the queue's refusals by reason (`usher_queue_refusals_total`), counted once per refused join
 * whichever door it came through.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { doorsOf } from "../helpers/doors.ts";
import { eventCounts, launch, metric } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";

/** An echo whose calls wait for `open()`. */
function gated() {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const demo = new Interface({
    fn: async (s: string) => {
      await gate;
      return s;
    },
    inputs: "text",
    outputs: "text",
    apiName: "echo",
  });
  return { demo, open };
}

const waitingAt = (url: string, level: string) => metric(url, `usher_queue_waiting_by_priority{priority="${level}"}`);
const refusals = (url: string, reason: string) => metric(url, `usher_queue_refusals_total{reason="${reason}"}`);

test("every refusal reason is exported from the start, at 0; waiting events without priorities are all level 0", async () => {
  const { demo, open } = gated();
  const app = await launch(demo, { concurrencyCount: 1 });
  for (const reason of ["queue_full", "client_limit", "wait_limit"]) assert.equal(await refusals(app.url, reason), 0);
  const d = doorsOf(app.url);
  for (const x of ["a", "b", "c"])
    assert.equal((await d.joinLane({ data: [x], fn_index: 0, session_hash: "m-1" })).status, 200);
  await waitFor(() => eventCounts(app).waiting === 2, 5000, "two waiting");
  assert.equal(await waitingAt(app.url, "0"), 2);
  open();
  await waitFor(() => eventCounts(app).waiting === 0, 5000, "none waiting");
  assert.equal(await waitingAt(app.url, "0"), 0);
});

test("waiting events per priority level, from join to start, through every queue door", async () => {
  const { demo, open } = gated();
  const app = await launch(demo, {
    concurrencyCount: 1,
    priority: (r) => Number(r.headers["x-level"] ?? 0),
  });
  const d = doorsOf(app.url);
  const P = `${app.url}/gradio_api`;
  const join = (level: string, type = "application/json") =>
    fetch(`${P}/queue/join`, {
      method: "POST",
      headers: { "content-type": type, "x-level": level },
      body: JSON.stringify({ data: ["x"], fn_index: 0, session_hash: `lvl-${level}` }),
    });
  // The first one runs; the others wait at their levels.
  assert.equal((await join("0")).status, 200);
  await waitFor(() => eventCounts(app).running === 1, 5000, "one running");
  assert.equal((await join("2")).status, 200);
  assert.equal((await join("2", "application/json; charset=UTF-8")).status, 200);
  assert.equal((await d.call("echo", { data: ["x"] }, { "x-level": "-1" })).status, 200);
  assert.equal((await join("0")).status, 200);
  await waitFor(() => eventCounts(app).waiting === 4, 5000, "four waiting");
  assert.equal(await waitingAt(app.url, "2"), 2);
  assert.equal(await waitingAt(app.url, "-1"), 1);
  assert.equal(await waitingAt(app.url, "0"), 1);
  open();
  await waitFor(() => eventCounts(app).waiting + eventCounts(app).running === 0, 5000, "all done");
  // A level with nothing waiting any more leaves the exposition; 0 stays.
  assert.ok(Number.isNaN(await waitingAt(app.url, "2")));
  assert.equal(await waitingAt(app.url, "0"), 0);
});

test("queue_full refusals are counted once per refused join, on every queue door", async () => {
  const { demo, open } = gated();
  const app = await launch(demo, { concurrencyCount: 1, maxSize: 1 });
  const d = doorsOf(app.url);
  assert.equal((await d.joinLane({ data: ["a"], fn_index: 0, session_hash: "full-1" })).status, 200);
  await waitFor(() => eventCounts(app).running === 1, 5000, "one running");
  assert.equal((await d.joinLane({ data: ["b"], fn_index: 0, session_hash: "full-1" })).status, 200);
  const body = { data: ["c"], fn_index: 0, session_hash: "full-1" };
  assert.equal((await d.joinLane(body)).status, 503);
  assert.equal((await d.joinRoute(body)).status, 503);
  assert.equal((await d.call("echo", { data: ["c"] })).status, 503);
  assert.equal((await d.ws({ type: "join", ref: 1, fn_index: 0, data: ["c"] }, "full-ws")).status, 503);
  const legacy = await d.legacy({ fn_index: 0, session_hash: "full-3x" }, ["c"]);
  assert.equal(legacy.frames.at(-1)?.["msg"], "queue_full");
  assert.equal(await refusals(app.url, "queue_full"), 5);
  assert.equal(await refusals(app.url, "client_limit"), 0);
  open();
});
