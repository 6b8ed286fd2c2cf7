/**
 * The multiplexed queue socket (`/gradio_api/queue/ws`): many events of one session over one
 * socket, the same admission as every other door, cancel, drops and the grace period.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { Interface, AppError } from "../../src/index.ts";
import { applyDiff, type DiffEdit } from "../../src/protocol/diff.ts";
import { launch, metric, post } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { gate, gatedEcho } from "../helpers/gatedDemo.ts";
import { completed, join, queueSocket, TestSocket, wsUrl, type Frame } from "../helpers/wsClient.ts";

test("hello carries the session hash, given or made up", async () => {
  const app = await launch(new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text" }));
  const given = await queueSocket(app.url, "tab-1");
  assert.deepEqual(given.frames[0], { msg: "hello", session_hash: "tab-1" });
  const made = await queueSocket(app.url);
  const hash = made.frames[0]?.["session_hash"];
  assert.equal(typeof hash, "string");
  assert.ok(hash.length >= 8);
  given.close();
  made.close();
});

test("many interleaved events over one socket: joined first, diffs per event, one completion each, socket stays open", async () => {
  const demo = new Interface({
    fn: async function* (s: string, n: number) {
      let acc = "";
      for (let i = 0; i < n; i++) {
        await sleep(1 + (i % 3));
        acc += `${s}${i},`;
        yield acc;
      }
    },
    inputs: ["text", "number"],
    outputs: "text",
    apiName: "gen",
  });
  const app = await launch(demo, { concurrencyCount: 4 });
  const s = await queueSocket(app.url, "many");
  const N = 30;
  for (let i = 0; i < N; i++) s.send({ type: "join", ref: `r${i}`, fn_index: 0, data: [`e${i}-`, 3 + (i % 4)] });
  const joined = await Promise.all(
    Array.from({ length: N }, (_, i) => s.next((f) => f["msg"] === "joined" && f["ref"] === `r${i}`)),
  );
  const ids = joined.map((f) => f["event_id"] as string);
  assert.equal(new Set(ids).size, N);
  const done = await Promise.all(ids.map((id) => completed(s, id, 10_000)));
  for (let i = 0; i < N; i++) {
    const id = ids[i]!;
    const n = 3 + (i % 4);
    const expected = Array.from({ length: n }, (_, k) => `e${i}-${k},`).join("");
    assert.equal(done[i]?.["success"], true);
    assert.deepEqual(done[i]?.["output"].data, [expected]);
    // Nothing of an event comes before its `joined`.
    const joinedAt = s.frames.indexOf(joined[i]!);
    const firstAt = s.frames.findIndex((f) => f["event_id"] === id && f["msg"] !== "joined");
    assert.ok(firstAt > joinedAt, `event ${i}: a message before joined`);
    // Generator chunks: full value first, diffs after; applying them gives every step.
    let value: unknown[] = [];
    const steps: unknown[] = [];
    s.of(id)
      .filter((f) => f["msg"] === "process_generating")
      .forEach((f, k) => {
        const data = f["output"].data as unknown[];
        value = k === 0 ? data : value.map((v, j) => applyDiff(v, data[j] as DiffEdit[]));
        steps.push(value[0]);
      });
    assert.equal(steps.length, n);
    assert.equal(steps.at(-1), expected);
    assert.equal(s.of(id).filter((f) => f["msg"] === "process_completed").length, 1);
    assert.ok(s.of(id).some((f) => f["msg"] === "estimation"));
    assert.ok(s.of(id).some((f) => f["msg"] === "process_starts"));
  }
  assert.ok(!s.frames.some((f) => f["msg"] === "close_stream"), "no close_stream on a socket");
  // Still open for the tab's next event (a close after the last completion would arrive before the next join's frames).
  assert.equal(s.ws.readyState, s.ws.OPEN);
  const again = await join(s, "late", 0, ["z", 1]);
  assert.deepEqual((await completed(s, again["event_id"]))["output"].data, ["z0,"]);
  s.close();
});

test("same admission as POST /queue/join: queue full 503 with the same detail, 422, 404, 400", async () => {
  const g = gate();
  const demo = new Interface({
    fn: async (a: string, n: number) => {
      await g.wait;
      return `${a}${n}`;
    },
    inputs: ["text", "number"],
    outputs: "text",
  });
  const app = await launch(demo, { concurrencyCount: 1, maxSize: 1, apiOpen: false });
  const s = await queueSocket(app.url, "adm");
  const running = await join(s, 1, 0, ["a", 1]);
  assert.equal(running["msg"], "joined");
  await s.next((f) => f["msg"] === "process_starts" && f["event_id"] === running["event_id"]);
  const waiting = await join(s, 2, 0, ["b", 2]);
  assert.equal(waiting["msg"], "joined");
  const full = await join(s, 3, 0, ["c", 3]);
  const http = await post(`${app.url}/gradio_api/queue/join`, { data: ["c", 3], fn_index: 0, session_hash: "h" });
  assert.equal(http.status, 503);
  assert.deepEqual(full, {
    msg: "join_error",
    ref: 3,
    status: 503,
    detail: http.json.detail,
    retry_after: full["retry_after"],
  });
  assert.equal(typeof full["retry_after"], "number");
  const invalid = await join(s, "v", 0, [{ x: 1 }]);
  assert.equal(invalid["status"], 422);
  assert.ok(Array.isArray(invalid["detail"]));
  const unknown = await join(s, "u", 7, []);
  assert.deepEqual(
    [unknown["msg"], unknown["status"], unknown["detail"]],
    ["join_error", 404, "No function with fn_index 7."],
  );
  s.send({ type: "join", ref: "bad", fn_index: -1, data: [] });
  const bad = await s.next((f) => f["ref"] === "bad");
  assert.equal(bad["status"], 400);
  s.send({ type: "join", ref: "nodata", fn_index: 0 });
  assert.equal((await s.next((f) => f["ref"] === "nodata"))["status"], 400);
  g.open();
  // apiOpen: false does not close the queue doors.
  assert.deepEqual((await completed(s, running["event_id"]))["output"].data, ["a1"]);
  assert.deepEqual((await completed(s, waiting["event_id"]))["output"].data, ["b2"]);
  s.close();
});

test("cancel over the socket: a waiting and a running event end with Cancelled; unknown ids get cancel_error", async () => {
  let aborted = 0;
  const demo = new Interface({
    fn: (_s: string, ctx: any) =>
      new Promise<string>((_, reject) => {
        ctx.signal.addEventListener("abort", () => {
          aborted++;
          reject(new Error("aborted"));
        });
      }),
    inputs: "text",
    outputs: "text",
  });
  const app = await launch(demo, { concurrencyCount: 1 });
  const s = await queueSocket(app.url, "cx");
  const a = (await join(s, "a", 0, ["1"]))["event_id"];
  const b = (await join(s, "b", 0, ["2"]))["event_id"];
  await s.next((f) => f["msg"] === "process_starts" && f["event_id"] === a);
  s.send({ type: "cancel", event_id: b });
  const cb = await completed(s, b);
  assert.deepEqual([cb["success"], cb["title"], cb["code"]], [false, "Cancelled", "cancelled"]);
  s.send({ type: "cancel", event_id: a });
  const ca = await completed(s, a);
  assert.equal(ca["title"], "Cancelled");
  await waitFor(() => aborted > 0, 5000, "the running call saw its abort");
  assert.equal(aborted, 1);
  s.send({ type: "cancel", event_id: "no-such-event" });
  const err = await s.next((f) => f["msg"] === "cancel_error");
  assert.deepEqual([err["event_id"], err["status"]], ["no-such-event", 404]);
  // Another session cannot cancel this session's events.
  const c = (await join(s, "c", 0, ["3"]))["event_id"];
  const other = await queueSocket(app.url, "someone-else");
  other.send({ type: "cancel", event_id: c });
  assert.equal((await other.next((f) => f["msg"] === "cancel_error"))["event_id"], c);
  assert.equal(app.engine.isActive(c), true);
  s.close();
  other.close();
});

test("a dropped socket: after the grace period its waiting events leave the queue and its running one is aborted", async () => {
  let aborted = 0;
  const demo = new Interface({
    fn: (_s: string, ctx: any) =>
      new Promise<string>((_, reject) => {
        ctx.signal.addEventListener("abort", () => {
          aborted++;
          reject(new Error("aborted"));
        });
      }),
    inputs: "text",
    outputs: "text",
  });
  const app = await launch(demo, { concurrencyCount: 1 }, { sessionGraceMs: 200 });
  const s = await queueSocket(app.url, "drop");
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push((await join(s, i, 0, [String(i)]))["event_id"]);
  await s.next((f) => f["msg"] === "process_starts");
  assert.equal(await app.engine.size(), 3);
  s.ws.terminate();
  // Within the grace period nothing is lost: the waiting events leave and the running one is
  // aborted no sooner than 200 ms after the drop (1 ms of slack: the loop's clock counts whole ms).
  const [emptiedMs, abortedMs] = await Promise.all([
    waitFor(async () => (await app.engine.size()) === 0, 5000, "the waiting events left"),
    waitFor(() => aborted > 0, 5000, "the running event was aborted"),
  ]);
  assert.ok(emptiedMs >= 199, `the waiting events left ${emptiedMs} ms after the drop`);
  assert.ok(abortedMs >= 199, `the running event was aborted ${abortedMs} ms after the drop`);
  assert.equal(aborted, 1);
  for (const id of ids) assert.equal(app.engine.isActive(id), false);
});

test("a socket that comes back within the grace period gets the messages it missed", async () => {
  const g = gate();
  const demo = new Interface({
    fn: async (s: string) => {
      await g.wait;
      return s.toUpperCase();
    },
    inputs: "text",
    outputs: "text",
  });
  const app = await launch(demo, { concurrencyCount: 1 }, { sessionGraceMs: 2000 });
  const first = await queueSocket(app.url, "back");
  const id = (await join(first, 1, 0, ["hi"]))["event_id"];
  first.ws.terminate();
  await first.closed;
  // Let the server see the drop (what is written into a dying socket is lost, as with SSE), then
  // finish the event while no socket is there.
  await waitFor(async () => (await metric(app.url, "usher_open_streams")) === 0, 5000, "the server saw the drop");
  g.open();
  await waitFor(() => !app.engine.isActive(id), 5000, "the event finished");
  const second = await queueSocket(app.url, "back");
  const done = await completed(second, id);
  assert.deepEqual(done["output"].data, ["HI"]);
  second.close();
});

test("a newer socket of the same session with its client key takes over (the old one is closed with 4000); one without is refused 409", async () => {
  const app = await launch(new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text" }));
  const cookie = { headers: { cookie: `usher-client-key=${"ab".repeat(16)}` } };
  const old = await queueSocket(app.url, "twice", cookie);
  const stranger = new TestSocket(wsUrl(app.url, "/gradio_api/queue/ws?session_hash=twice"));
  assert.equal(
    await stranger.opened().then(
      () => "open",
      (e: Error) => e.message,
    ),
    "HTTP 403",
  );
  const fresh = await queueSocket(app.url, "twice", cookie);
  assert.equal((await old.closed).code, 4000);
  const id = (await join(fresh, 1, 0, ["x"]))["event_id"];
  assert.deepEqual((await completed(fresh, id))["output"].data, ["x"]);
  fresh.close();

  // A client without cookies (a script): a second concurrent socket is refused, the first keeps its session.
  const first = await queueSocket(app.url, "plain");
  const second = new TestSocket(wsUrl(app.url, "/gradio_api/queue/ws?session_hash=plain"));
  assert.equal(
    await second.opened().then(
      () => "open",
      (e: Error) => e.message,
    ),
    "HTTP 409",
  );
  const id2 = (await join(first, 2, 0, ["y"]))["event_id"];
  assert.deepEqual((await completed(first, id2))["output"].data, ["y"]);
  first.close();
  await first.closed;
  // Once the server has seen it go, the same client comes back.
  const back: { socket?: TestSocket | undefined } = {};
  await waitFor(
    async () => (back.socket = await queueSocket(app.url, "plain").catch(() => undefined)) !== undefined,
    5000,
    "the client came back",
  );
  back.socket?.close();
});

test("frames that cannot be read: binary 1003, not JSON 1007, too large 1009; wrong shapes get an error; the server keeps serving", async () => {
  const app = await launch(
    new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text" }),
    {},
    { maxBodyBytes: 64 * 1024 },
  );
  const bin = await queueSocket(app.url, "b");
  bin.ws.send(Buffer.from([1, 2, 3]));
  assert.equal((await bin.closed).code, 1003);
  const notJson = await queueSocket(app.url, "j");
  notJson.send("{nope");
  assert.equal((await notJson.closed).code, 1007);
  const big = await queueSocket(app.url, "g");
  big.send({ type: "join", ref: 1, fn_index: 0, data: ["x".repeat(100 * 1024)] });
  assert.equal((await big.closed).code, 1009);
  const shapes = await queueSocket(app.url, "s");
  for (const frame of [[1, 2], "x", null, { type: "dance" }, { nothing: true }, { type: "cancel" }]) {
    shapes.ws.send(JSON.stringify(frame));
    const e = await shapes.next((f) => f["msg"] === "error");
    assert.equal(typeof e["detail"], "string");
    shapes.frames.length = 0;
  }
  shapes.send({ type: "ping" });
  await shapes.next((f) => f["msg"] === "pong");
  const id = (await join(shapes, "ok", 0, ["still"]))["event_id"];
  assert.deepEqual((await completed(shapes, id))["output"].data, ["still"]);
  shapes.close();
});

test("upgrades are refused with an HTTP status: unknown path 404, other origin 403, bad session_hash 400", async () => {
  const app = await launch(new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text" }));
  const refused = async (path: string, headers: Record<string, string> = {}) => {
    const s = new TestSocket(wsUrl(app.url, path), { headers });
    return s.opened().then(
      () => "open",
      (e: Error) => e.message,
    );
  };
  assert.equal(await refused("/gradio_api/queue/nope"), "HTTP 404");
  assert.equal(await refused("/gradio_api/queue/ws?session_hash=a", { origin: "https://evil.example" }), "HTTP 403");
  assert.equal(await refused(`/gradio_api/queue/ws?session_hash=${"x".repeat(200)}`), "HTTP 400");
  const host = new URL(app.url).host;
  assert.equal(await refused("/gradio_api/queue/ws?session_hash=a", { origin: `http://${host}` }), "open");
});

test("errors in the function reach the socket as a failed process_completed", async () => {
  const demo = new Interface({
    fn: (s: string) => {
      throw new AppError(`bad ${s}`);
    },
    inputs: "text",
    outputs: "text",
  });
  const app = await launch(demo);
  const s = await queueSocket(app.url, "err");
  const id = (await join(s, 1, 0, ["x"]))["event_id"];
  const done: Frame = await completed(s, id);
  assert.deepEqual([done["success"], done["output"].error], [false, "bad x"]);
  s.close();
});

test("a peer that stops answering pings is cut, and its events end after the grace period", async () => {
  const { demo, open } = gatedEcho();
  const app = await launch(demo, { concurrencyCount: 1 }, { heartbeatMs: 100, sessionGraceMs: 100 });
  // autoPong false: the socket is there but never answers, like a peer whose network vanished.
  const silent = await queueSocket(app.url, "silent", { autoPong: false });
  await join(silent, 1, 0, ["a"]);
  const waiting = (await join(silent, 2, 0, ["b"]))["event_id"];
  const closed = await silent.closed;
  assert.equal(closed.code, 1006, "terminated, no close handshake");
  await waitFor(() => !app.engine.isActive(waiting), 5000, "the waiting event ended");
  assert.equal(await app.engine.size(), 0);
  // A peer that answers stays: a third ping means the rounds that would have cut it did not.
  const alive = await queueSocket(app.url, "alive");
  let pings = 0;
  alive.ws.on("ping", () => pings++);
  await waitFor(() => pings >= 3, 5000, "three pings");
  assert.equal(alive.ws.readyState, alive.ws.OPEN);
  alive.close();
  open();
});

test("shutdown ends the tabs' sockets with 1001 after their events end", async () => {
  const { demo, open } = gatedEcho();
  const app = await launch(demo, { concurrencyCount: 1 });
  const s = await queueSocket(app.url, "bye");
  await join(s, 1, 0, ["a"]);
  const waiting = (await join(s, 2, 0, ["b"]))["event_id"];
  const closing = app.close({ graceMs: 0 });
  const done = await completed(s, waiting);
  assert.equal(done["title"], "Cancelled");
  assert.equal((await s.closed).code, 1001);
  await closing;
  open();
});

test("with launch({ auth }), both sockets need the login cookie (401 without)", async () => {
  const app = await launch(
    new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text" }),
    {},
    { auth: [["ada", "pw"]] },
  );
  for (const path of ["/gradio_api/queue/ws?session_hash=a", "/queue/join"]) {
    const refused = new TestSocket(wsUrl(app.url, path));
    await assert.rejects(refused.opened(), /HTTP 401/);
  }
  const res = await fetch(`${app.url}/login`, {
    method: "POST",
    body: new URLSearchParams({ username: "ada", password: "pw" }),
  });
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const s = await queueSocket(app.url, "authed", { headers: { cookie } });
  const id = (await join(s, 1, 0, ["in"]))["event_id"];
  assert.deepEqual((await completed(s, id))["output"].data, ["in"]);
  s.close();
});
