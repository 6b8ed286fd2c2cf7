/**
 * One admission, five doors (issue 15, "must be true" 3): the same bad request gets the same code
 * and message through the SSE join (the fast lane and the Fastify route), `/call`, the multiplexed
 * WebSocket, Gradio 3.x's WebSocket and direct `/run` (and `/api`), each in its own transport's
 * shape: `{detail}` with the code's HTTP status, a `join_error` frame with the same status and
 * detail, a refused upgrade, or 3.x's `{error}` message and a close.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ERROR_CODES } from "../../src/errors.ts";
import { Interface } from "../../src/index.ts";
import { doorsOf, expected } from "../helpers/doors.ts";
import { launch } from "../helpers/launch.ts";
import { TestSocket, wsUrl } from "../helpers/wsClient.ts";

/** 3.x's `{error}` is a string: a validation detail's messages, joined. */
function legacyText(detail: unknown): string {
  return (detail as { message: string }[]).map((d) => d.message).join(" ");
}

const demo = () => new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text", apiName: "echo" });
const app = await launch(demo(), { apiOpen: true });
const doors = doorsOf(app.url);

test("unknown function: the same 404 and message on every door", async () => {
  const want = expected("UNKNOWN_FUNCTION", "No function with fn_index 7.");
  const body = { data: ["x"], fn_index: 7, session_hash: "door-1" };
  assert.deepEqual(await doors.joinLane(body), want);
  assert.deepEqual(await doors.joinRoute(body), want);
  assert.deepEqual(await doors.ws({ type: "join", ref: 1, fn_index: 7, data: ["x"] }), want);
  // On /run an explicit fn_index wins over the name, as in Gradio.
  assert.deepEqual(await doors.run("echo", body), want);
  const legacy = await doors.legacy({ fn_index: 7, session_hash: "door-3x" });
  assert.deepEqual({ error: legacy.error, closeCode: legacy.closeCode }, { error: want.detail, closeCode: 1008 });
  // By name (the doors that take one).
  const byName = expected("UNKNOWN_FUNCTION", "No endpoint named /nope.");
  assert.deepEqual(await doors.call("nope", { data: ["x"] }), byName);
  assert.deepEqual(await doors.run("nope", { data: ["x"] }), byName);
  assert.deepEqual(await doors.run("nope", { data: ["x"] }, {}, `${app.url}/gradio_api/api`), byName);
});

test("missing fn_index: the same 404 and message on every door that takes one", async () => {
  const want = expected("UNKNOWN_FUNCTION", "No function index provided.");
  const body = { data: ["x"], session_hash: "door-2" };
  assert.deepEqual(await doors.joinLane(body), want);
  assert.deepEqual(await doors.joinRoute(body), want);
  assert.deepEqual(await doors.ws({ type: "join", ref: 1, data: ["x"] }), want);
  const legacy = await doors.legacy({ session_hash: "door-3x" });
  assert.deepEqual({ error: legacy.error, closeCode: legacy.closeCode }, { error: want.detail, closeCode: 1008 });
});

test("a bad fn_index: the same 400 on every door", async () => {
  const want = expected("BAD_REQUEST", "`fn_index` must be a non-negative integer.");
  const body = { data: ["x"], fn_index: -1, session_hash: "door-2b" };
  assert.deepEqual(await doors.joinLane(body), want);
  assert.deepEqual(await doors.joinRoute(body), want);
  assert.deepEqual(await doors.ws({ type: "join", ref: 1, fn_index: -1, data: ["x"] }), want);
  assert.deepEqual(await doors.run("echo", body), want);
  const legacy = await doors.legacy({ fn_index: -1, session_hash: "door-3x" });
  assert.deepEqual({ error: legacy.error, closeCode: legacy.closeCode }, { error: want.detail, closeCode: 1008 });
});

test("a missing or bad session_hash: the same 400 and message on every door that takes one", async () => {
  const missing = expected("SESSION_MISSING", ERROR_CODES.SESSION_MISSING.message);
  assert.deepEqual(await doors.joinLane({ data: ["x"], fn_index: 0 }), missing);
  assert.deepEqual(await doors.joinRoute({ data: ["x"], fn_index: 0 }), missing);
  const noHash = await doors.legacy({ fn_index: 0 });
  assert.deepEqual({ error: noHash.error, closeCode: noHash.closeCode }, { error: missing.detail, closeCode: 1008 });
  const long = "h".repeat(129);
  const bad = expected("BAD_REQUEST", "`session_hash` must be a non-empty string of at most 128 characters.");
  assert.deepEqual(await doors.joinLane({ data: ["x"], fn_index: 0, session_hash: long }), bad);
  assert.deepEqual(await doors.joinRoute({ data: ["x"], fn_index: 0, session_hash: long }), bad);
  assert.deepEqual(await doors.run("echo", { data: ["x"], session_hash: long }), bad);
  assert.deepEqual(await doors.wsRefused(long), bad);
  const legacy = await doors.legacy({ fn_index: 0, session_hash: long });
  assert.deepEqual({ error: legacy.error, closeCode: legacy.closeCode }, { error: bad.detail, closeCode: 1008 });
});

test("wrong input count and types: the same 422 and detail on every door (3.x: its messages, later)", async () => {
  for (const data of [[], ["a", "b"], [{ not: "text" }]]) {
    const first = await doors.joinLane({ data, fn_index: 0, session_hash: "door-3" });
    assert.equal(first.status, ERROR_CODES.VALIDATION.status, JSON.stringify(first));
    assert.ok(Array.isArray(first.detail) && first.detail.length > 0, JSON.stringify(first.detail));
    assert.deepEqual(await doors.joinRoute({ data, fn_index: 0, session_hash: "door-3" }), first);
    assert.deepEqual(await doors.ws({ type: "join", ref: "r", fn_index: 0, data }), first);
    assert.deepEqual(await doors.call("echo", { data }), first);
    assert.deepEqual(await doors.run("echo", { data }), first);
    const legacy = await doors.legacy({ fn_index: 0, session_hash: "door-3x" }, data);
    const want = { error: legacyText(first.detail), closeCode: 1000 };
    assert.deepEqual({ error: legacy.error, closeCode: legacy.closeCode }, want);
  }
});

test("malformed JSON: the same 400 and detail on every HTTP door; the sockets close with 1007", async () => {
  const first = await doors.joinLane("{bad");
  assert.equal(first.status, 400);
  assert.match(String(first.detail), /^Body is not valid JSON/);
  assert.deepEqual(await doors.joinRoute("{bad"), first);
  assert.deepEqual(await doors.call("echo", "{bad"), first);
  assert.deepEqual(await doors.run("echo", "{bad"), first);
  const ws = new TestSocket(wsUrl(app.url, "/gradio_api/queue/ws?session_hash=door-4"));
  await ws.next((f) => f["msg"] === "hello");
  ws.send("{bad");
  assert.deepEqual(await ws.closed, { code: 1007, reason: "Frame is not valid JSON." });
  const legacy = await doors.legacy("{bad");
  assert.equal(legacy.closeCode, 1007);
});

test("a session of another client: the same 403 and message on every door that names a session", async () => {
  const owner = { cookie: `usher-client-key=${"a1".repeat(16)}` };
  const other = { cookie: `usher-client-key=${"b2".repeat(16)}` };
  const taken = await doors.joinLane({ data: ["mine"], fn_index: 0, session_hash: "door-owned" }, owner);
  assert.equal(taken.status, 200);
  const body = { data: ["x"], fn_index: 0, session_hash: "door-owned" };
  const want = await doors.joinLane(body, other);
  assert.deepEqual(want, expected("SESSION_FORBIDDEN", want.detail));
  assert.match(String(want.detail), /belongs to another client/);
  assert.deepEqual(await doors.joinRoute(body, other), want);
  assert.deepEqual(await doors.run("echo", { data: ["x"], session_hash: "door-owned" }, other), want);
  // The multiplexed socket binds its session when it opens: the upgrade is refused.
  assert.deepEqual(await doors.wsRefused("door-owned", other), want);
  const legacy = await doors.legacy({ fn_index: 0, session_hash: "door-owned" }, undefined, other);
  assert.deepEqual({ error: legacy.error, closeCode: legacy.closeCode }, { error: want.detail, closeCode: 1008 });
});

test("apiOpen false: direct /run and /api refuse a queued function; the queue's doors admit it", async () => {
  const closed = await launch(demo(), { apiOpen: false });
  const d = doorsOf(closed.url);
  const want = expected("API_CLOSED", ERROR_CODES.API_CLOSED.message);
  assert.deepEqual(await d.run("echo", { data: ["x"] }), want);
  assert.deepEqual(await d.run("echo", { data: ["x"] }, {}, `${closed.url}/gradio_api/api`), want);
  assert.deepEqual(await d.run("echo", { data: ["x"] }, {}, `${closed.url}/run`), want);
  assert.equal((await d.joinLane({ data: ["x"], fn_index: 0, session_hash: "door-5" })).status, 200);
  assert.equal((await d.call("echo", { data: ["x"] })).status, 200);
});

test("queue full: the same 503, message and Retry-After on every queue door; 3.x gets its queue_full", async () => {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const full = await launch(
    new Interface({
      fn: async (s: string) => {
        await gate;
        return s;
      },
      inputs: "text",
      outputs: "text",
      apiName: "echo",
    }),
    { concurrencyCount: 1, maxSize: 1 },
  );
  const d = doorsOf(full.url);
  // One running, one waiting: the queue holds maxSize.
  assert.equal((await d.joinLane({ data: ["a"], fn_index: 0, session_hash: "door-6" })).status, 200);
  assert.equal((await d.joinLane({ data: ["b"], fn_index: 0, session_hash: "door-6" })).status, 200);
  const first = await d.joinLane({ data: ["c"], fn_index: 0, session_hash: "door-6" });
  assert.equal(first.status, ERROR_CODES.QUEUE_FULL.status);
  assert.notEqual(first.retryAfter, null);
  assert.deepEqual(first, expected("QUEUE_FULL", first.detail, first.retryAfter));
  assert.deepEqual(await d.joinRoute({ data: ["c"], fn_index: 0, session_hash: "door-6" }), first);
  assert.deepEqual(await d.call("echo", { data: ["c"] }), first);
  assert.deepEqual(await d.ws({ type: "join", ref: 1, fn_index: 0, data: ["c"] }, "door-6ws"), first);
  // A 3.x socket joins once its inputs came (launch({ legacyInputsAt }) defaults to "join").
  const legacy = await d.legacy({ fn_index: 0, session_hash: "door-6x" }, ["c"]);
  assert.deepEqual(
    legacy.frames.map((f) => f["msg"]),
    ["send_hash", "send_data", "queue_full"],
  );
  assert.equal(legacy.closeCode, 1000);
  open();
});

test("refused upgrades answer from the code table: a URL too long is 414 URI_TOO_LONG", async () => {
  assert.deepEqual(await doors.wsRefused("h".repeat(9000)), expected("URI_TOO_LONG", ERROR_CODES.URI_TOO_LONG.message));
});
