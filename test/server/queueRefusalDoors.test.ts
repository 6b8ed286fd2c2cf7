/**
 * Issue 17's refusals on every queue door, each in its transport's shape (see doors.test.ts): a
 * client over `maxPerClient` is 429 CLIENT_LIMIT and a join over `maxWaitMs` 503 WAIT_LIMIT, with
 * the detail and `Retry-After` on the HTTP doors (the fast lane and the route of the SSE join,
 * `/call`), `retry_after` in the multiplexed socket's `join_error`, and the detail as the `error`
 * of Gradio 3.x's failed `process_completed` (3.x's `queue_full` is for a full queue only).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { doorsOf, expected } from "../helpers/doors.ts";
import { eventCounts, launch, metric } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";

const CLIENT_LIMIT_DETAIL = /^You already have 1 requests? waiting or running; wait for one to finish\.$/;
const WAIT_LIMIT_DETAIL =
  /^Busy: about \d+ (s|min) to wait, over this demo's limit of \d+ (s|min); try again in (\d+) s\.$/;

/** An echo app (api name "echo") whose calls wait until `open()`, launched with `queue` options. */
async function gatedEcho(
  queue: Parameters<typeof launch>[1],
  expectedDurationMs?: number,
): Promise<{ app: Awaited<ReturnType<typeof launch>>; open: () => void }> {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const app = await launch(
    new Interface({
      fn: async (s: string) => {
        await gate;
        return s;
      },
      inputs: "text",
      outputs: "text",
      apiName: "echo",
      ...(expectedDurationMs === undefined ? {} : { expectedDurationMs }),
    }),
    queue,
  );
  return { app, open };
}

test("maxPerClient: one more join of the same client is 429 with the same detail and Retry-After on every door", async () => {
  const { app, open } = await gatedEcho({ concurrencyCount: 1, maxPerClient: 1 });
  const d = doorsOf(app.url);
  // Every door below comes from 127.0.0.1: one client key, which has its one job running.
  assert.equal((await d.joinLane({ data: ["a"], fn_index: 0, session_hash: "lim-1" })).status, 200);
  await waitFor(() => eventCounts(app).running === 1, 5000, "a running");
  const body = { data: ["b"], fn_index: 0, session_hash: "lim-2" };
  const first = await d.joinLane(body);
  assert.match(String(first.detail), CLIENT_LIMIT_DETAIL);
  assert.ok(Number(first.retryAfter) >= 1, `Retry-After ${first.retryAfter}`);
  assert.deepEqual(first, expected("CLIENT_LIMIT", first.detail, first.retryAfter));
  assert.deepEqual(await d.joinRoute(body), first);
  assert.deepEqual(await d.call("echo", { data: ["b"] }), first);
  assert.deepEqual(await d.ws({ type: "join", ref: 1, fn_index: 0, data: ["b"] }, "lim-ws"), first);
  const legacy = await d.legacy({ fn_index: 0, session_hash: "lim-3x" }, ["b"]);
  assert.deepEqual(
    { error: legacy.error, closeCode: legacy.closeCode, msgs: legacy.frames.map((f) => f["msg"]) },
    { error: first.detail, closeCode: 1000, msgs: ["send_hash", "send_data", "process_completed"] },
  );
  // Another client (a local proxy names it) is admitted meanwhile.
  const other = await d.joinLane({ ...body, session_hash: "lim-other" }, { "x-forwarded-for": "203.0.113.8" });
  assert.equal(other.status, 200);
  assert.equal(await metric(app.url, 'usher_queue_refusals_total{reason="client_limit"}'), 5);
  open();
});

test("maxWaitMs: a join predicted to wait longer is 503 with the wait in its detail and Retry-After on every door", async () => {
  // A minute per call, as far as the estimator knows: every join behind the running one would wait about that.
  const { app, open } = await gatedEcho({ concurrencyCount: 1, maxWaitMs: 1000 }, 60_000);
  const d = doorsOf(app.url);
  assert.equal((await d.joinLane({ data: ["a"], fn_index: 0, session_hash: "wait-a" })).status, 200);
  await waitFor(() => eventCounts(app).running === 1, 5000, "a running");
  const check = (answer: { status: number; detail: unknown; retryAfter: string | null }) => {
    assert.equal(answer.status, 503, JSON.stringify(answer));
    const m = WAIT_LIMIT_DETAIL.exec(String(answer.detail));
    assert.ok(m !== null, String(answer.detail));
    assert.equal(answer.retryAfter, m[3], "Retry-After is the detail's 'try again in'");
    assert.ok(Number(m[3]) >= 55 && Number(m[3]) <= 60, `try again in ${m[3]} s`);
  };
  const body = { data: ["b"], fn_index: 0, session_hash: "wait-b" };
  check(await d.joinLane(body));
  check(await d.joinRoute(body));
  check(await d.call("echo", { data: ["b"] }));
  check(await d.ws({ type: "join", ref: 1, fn_index: 0, data: ["b"] }, "wait-ws"));
  const legacy = await d.legacy({ fn_index: 0, session_hash: "wait-3x" }, ["b"]);
  assert.match(String(legacy.error), WAIT_LIMIT_DETAIL);
  assert.equal(legacy.closeCode, 1000);
  assert.equal(eventCounts(app).waiting, 0, "nothing refused was queued");
  assert.equal(await metric(app.url, 'usher_queue_refusals_total{reason="wait_limit"}'), 5);
  open();
});
