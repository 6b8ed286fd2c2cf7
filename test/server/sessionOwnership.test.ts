/**
 * A session belongs to whoever opened it (issue 14, "must be true" 3): a second reader cannot take
 * a live stream, an outsider cannot cancel, another signed-in user gets 403 everywhere, the
 * legitimate client still resumes after a drop, and server-made ids carry 128 bits.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { gatedDemo, gateOf } from "../helpers/gatedDemo.ts";
import { openStream, send } from "../helpers/httpClient.ts";
import { launch } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { queueSocket, TestSocket, wsUrl, type Frame } from "../helpers/wsClient.ts";

const demo = gatedDemo;

const KEY_A = "a1".repeat(16);
const KEY_B = "b2".repeat(16);
const cookieOf = (key: string) => ({ cookie: `usher-client-key=${key}` });
/** Another machine, as far as the server can tell (any 127.x address reaches 127.0.0.1 on Linux). */
const ELSEWHERE = "127.0.0.2";

const app = await launch(demo(), { concurrencyCount: 8 });
const P = `${app.url}/gradio_api`;

async function join(session: string, text: string, headers: Record<string, string> = {}, localAddress?: string) {
  return send(`${P}/queue/join`, {
    body: { data: [text], fn_index: 0, session_hash: session },
    headers,
    ...(localAddress === undefined ? {} : { localAddress }),
  });
}

test("a concurrent second reader is refused 409 and the first keeps its stream and gets the result", async () => {
  const j = await join("own-1", "one");
  assert.equal(j.status, 200, j.text);
  const victim = await openStream(`${P}/queue/data?session_hash=own-1`);
  assert.equal(victim.status, 200);
  await victim.stream!.next((m) => m.msg === "process_starts");
  // Same address, no cookie: the attacker who only knows the hash (and shares the victim's NAT).
  const second = await openStream(`${P}/queue/data?session_hash=own-1`);
  assert.equal(second.status, 409);
  assert.match(second.json.detail, /already has an open stream/);
  gateOf("one").open();
  const done = await victim.stream!.next((m) => m.msg === "process_completed");
  assert.deepEqual(done.output.data, ["ONE"]);
  assert.equal(done.event_id, j.json.event_id);
  await victim.stream!.ended;
});

test("another client (its own key, or another address) gets 403 on the stream, the join and the cancel", async () => {
  const j = await join("own-2", "two");
  assert.equal(j.status, 200);
  const eventId = j.json.event_id as string;
  const outsiders: [string, Record<string, string>, string | undefined][] = [
    ["another key", cookieOf(KEY_B), undefined],
    ["another address", {}, ELSEWHERE],
  ];
  for (const [who, headers, localAddress] of outsiders) {
    const opt = { headers, ...(localAddress === undefined ? {} : { localAddress }) };
    const stream = await openStream(`${P}/queue/data?session_hash=own-2`, opt);
    assert.equal(stream.status, 403, who);
    assert.equal(typeof stream.json.detail, "string", who);
    const joined = await join("own-2", "x", headers, localAddress);
    assert.equal(joined.status, 403, `${who}: ${joined.text}`);
    const cancel = await send(`${P}/cancel`, { body: { event_id: eventId, session_hash: "own-2" }, ...opt });
    assert.equal(cancel.status, 403, who);
    const reset = await send(`${P}/reset`, { body: { event_id: eventId, session_hash: "own-2" }, ...opt });
    assert.equal(reset.status, 403, who);
    const heartbeat = await openStream(`${P}/heartbeat/own-2`, opt);
    assert.equal(heartbeat.status, 403, who);
  }
  // The owner's event was not touched.
  const stream = await openStream(`${P}/queue/data?session_hash=own-2`);
  assert.equal(stream.status, 200);
  gateOf("two").open();
  assert.deepEqual((await stream.stream!.next((m) => m.msg === "process_completed")).output.data, ["TWO"]);
});

test("behind a trusted proxy (loopback by default) the address is the client's it names; behind an untrusted one it is the proxy's", async () => {
  const client = (ip: string) => ({ "x-forwarded-for": ip });
  const j = await join("own-proxied", "proxied", client("203.0.113.5"));
  assert.equal(j.status, 200, j.text);
  const other = await openStream(`${P}/queue/data?session_hash=own-proxied`, { headers: client("203.0.113.9") });
  assert.equal(other.status, 403, "another client behind the same proxy");
  // A client cannot pose as another by prepending entries: only what the trusted proxy added counts.
  const forged = await openStream(`${P}/queue/data?session_hash=own-proxied`, {
    headers: client("203.0.113.5, 203.0.113.9"),
  });
  assert.equal(forged.status, 403, "a forged chain");
  const own = await openStream(`${P}/queue/data?session_hash=own-proxied`, { headers: client("203.0.113.5") });
  assert.equal(own.status, 200);
  gateOf("proxied").open();
  assert.deepEqual((await own.stream!.next((m) => m.msg === "process_completed")).output.data, ["PROXIED"]);

  // trustProxy: false: X-Forwarded-For is anyone's to send, so every request is its peer's.
  const untrusted = await launch(demo(), { concurrencyCount: 2 }, { trustProxy: false });
  {
    const UP = `${untrusted.url}/gradio_api`;
    const j2 = await send(`${UP}/queue/join`, {
      body: { data: ["plain"], fn_index: 0, session_hash: "own-untrusted" },
      headers: client("203.0.113.5"),
    });
    assert.equal(j2.status, 200, j2.text);
    const same = await openStream(`${UP}/queue/data?session_hash=own-untrusted`, { headers: client("203.0.113.9") });
    assert.equal(same.status, 200, "the header is ignored: same peer");
    gateOf("plain").open();
    await same.stream!.next((m) => m.msg === "process_completed");
  }
});

test("an outsider who knows only the session hash cannot cancel: 404 without the event id, and the event runs", async () => {
  const j = await join("own-3", "three");
  const stream = await openStream(`${P}/queue/data?session_hash=own-3`);
  const guess = await send(`${P}/cancel`, { body: { event_id: "0".repeat(32), session_hash: "own-3" } });
  assert.equal(guess.status, 404);
  gateOf("three").open();
  const done = await stream.stream!.next((m) => m.msg === "process_completed");
  assert.equal(done.success, true);
  assert.equal(done.event_id, j.json.event_id);
});

test("a browser's session (its key cookie) refuses every request without the key; its own reconnect takes over", async () => {
  const j = await join("own-4", "four", cookieOf(KEY_A));
  assert.equal(j.status, 200);
  assert.deepEqual(j.setCookie, [], "a request with a key gets no new one");
  const first = await openStream(`${P}/queue/data?session_hash=own-4`, { headers: cookieOf(KEY_A) });
  assert.equal(first.status, 200);
  await first.stream!.next((m) => m.msg === "process_starts");
  // No cookie, same address: once the client has shown it keeps its key, that is someone else.
  const bare = await openStream(`${P}/queue/data?session_hash=own-4`);
  assert.equal(bare.status, 403);
  const cancel = await send(`${P}/cancel`, { body: { event_id: j.json.event_id, session_hash: "own-4" } });
  assert.equal(cancel.status, 403);
  // The same browser reconnecting before the server saw its old stream go: the newer one wins.
  const again = await openStream(`${P}/queue/data?session_hash=own-4`, { headers: cookieOf(KEY_A) });
  assert.equal(again.status, 200);
  await first.stream!.ended;
  gateOf("four").open();
  assert.deepEqual((await again.stream!.next((m) => m.msg === "process_completed")).output.data, ["FOUR"]);
});

test("a client without cookies whose stream dropped resumes once the server saw the drop", async () => {
  const j = await join("own-5", "five");
  assert.equal(j.status, 200);
  assert.equal(j.setCookie.length, 1, "the first join of a session without a key is given one");
  assert.match(j.setCookie[0]!, /^usher-client-key=[0-9a-f]{32}; Path=\/; HttpOnly; SameSite=Lax$/);
  const first = await openStream(`${P}/queue/data?session_hash=own-5`);
  await first.stream!.next((m) => m.msg === "process_starts");
  first.stream!.drop();
  const came: { back?: Awaited<ReturnType<typeof openStream>> } = {};
  await waitFor(
    async () => {
      const r = await openStream(`${P}/queue/data?session_hash=own-5`);
      if (r.status === 200) came.back = r;
      else assert.equal(r.status, 409, "only busy until the server sees the drop");
      return r.status === 200;
    },
    5000,
    "the client came back",
  );
  const back = came.back!;
  gateOf("five").open();
  const done = await back.stream!.next((m) => m.msg === "process_completed");
  assert.deepEqual(done.output.data, ["FIVE"]);
  assert.equal(done.event_id, j.json.event_id);
});

test("the queue socket: another client's socket is refused 403, a concurrent one 409, and the first keeps working", async () => {
  const owner = await queueSocket(app.url, "own-ws", { headers: cookieOf(KEY_A) });
  const refused = async (headers: Record<string, string>, localAddress?: string) => {
    const s = new TestSocket(wsUrl(app.url, "/gradio_api/queue/ws?session_hash=own-ws"), {
      headers,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    return s.opened().then(
      () => "open",
      (e: Error) => e.message,
    );
  };
  assert.equal(await refused(cookieOf(KEY_B)), "HTTP 403");
  assert.equal(await refused({}), "HTTP 403", "the owner sends its key; a request without it is someone else");
  assert.equal(await refused({}, ELSEWHERE), "HTTP 403");
  owner.send({ type: "join", ref: 1, fn_index: 0, data: ["six"] });
  const joined = await owner.next((f: Frame) => f["msg"] === "joined");
  gateOf("six").open();
  const done = await owner.next((f: Frame) => f["msg"] === "process_completed" && f["event_id"] === joined["event_id"]);
  assert.deepEqual(done["output"].data, ["SIX"]);
  owner.close();

  // A script's socket (no cookies): a second one at the same time is refused, not a takeover.
  const script = await queueSocket(app.url, "own-ws-2");
  assert.equal(
    await new TestSocket(wsUrl(app.url, "/gradio_api/queue/ws?session_hash=own-ws-2")).opened().then(
      () => "open",
      (e: Error) => e.message,
    ),
    "HTTP 409",
  );
  script.send({ type: "ping" });
  await script.next((f: Frame) => f["msg"] === "pong");
  script.close();
});

test("a /call result has one reader: a second GET while the first reads is refused 409", async () => {
  const call = await send(`${P}/call/up`, { body: { data: ["nine"] } });
  assert.equal(call.status, 200, call.text);
  const url = `${P}/call/up/${call.json.event_id}`;
  const first = await openStream(url);
  assert.equal(first.status, 200);
  const second = await openStream(url);
  assert.equal(second.status, 409);
  assert.equal(typeof second.json.detail, "string");
  gateOf("nine").open();
  await first.stream!.ended;
  assert.ok(
    first.stream!.messages.some((m) => Array.isArray(m) && m[0] === "NINE"),
    JSON.stringify(first.stream!.messages),
  );
});

test("server-made ids carry 128 bits: a socket's session hash, event ids, client keys", async () => {
  const s = await queueSocket(app.url);
  assert.match(s.frames[0]?.["session_hash"], /^[0-9a-f]{32}$/);
  s.close();
  const j = await join("own-7", "seven");
  assert.match(j.json.event_id, /^[0-9a-f]{32}$/);
  assert.match(j.setCookie[0] ?? "", /^usher-client-key=[0-9a-f]{32};/);
  gateOf("seven").open();
  // The page and the config hand a browser its key before any join, once.
  const config = await send(`${app.url}/config`);
  assert.match(config.setCookie[0] ?? "", /^usher-client-key=[0-9a-f]{32};/);
  const again = await send(`${app.url}/config`, { headers: cookieOf(KEY_A) });
  assert.deepEqual(again.setCookie, []);
});

test("a Gradio 3.x socket naming another client's session is refused with an error", async () => {
  const j = await join("own-8", "eight", cookieOf(KEY_A));
  assert.equal(j.status, 200);
  const s = new TestSocket(wsUrl(app.url, "/queue/join"), { headers: cookieOf(KEY_B) });
  await s.opened();
  await s.next((f: Frame) => f["msg"] === "send_hash");
  s.send({ fn_index: 0, session_hash: "own-8" });
  const err = await s.next((f: Frame) => f["msg"] === "process_completed");
  assert.equal(err["success"], false);
  assert.match(JSON.stringify(err), /another client/);
  await s.closed;
  gateOf("eight").open();
});

test("with auth: another signed-in user gets 403 on the session's stream, events, cancel and socket; the owner is served", async () => {
  const authed = await launch(
    demo(),
    { concurrencyCount: 8 },
    {
      auth: [
        ["ada", "lovelace"],
        ["bob", "pw"],
      ],
    },
  );
  const AP = `${authed.url}/gradio_api`;
  const login = async (username: string, password: string): Promise<string> => {
    const res = await fetch(`${authed.url}/login`, {
      method: "POST",
      body: new URLSearchParams({ username, password }),
    });
    assert.equal(res.status, 200);
    return res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
  };
  const ada = { cookie: await login("ada", "lovelace") };
  const bob = { cookie: await login("bob", "pw") };

  const j = await send(`${AP}/queue/join`, {
    body: { data: ["ada"], fn_index: 0, session_hash: "ada-tab" },
    headers: ada,
  });
  assert.equal(j.status, 200, j.text);
  const eventId = j.json.event_id as string;
  const call = await send(`${AP}/call/up`, { body: { data: ["ada-call"] }, headers: ada });
  assert.equal(call.status, 200, call.text);
  const callId = call.json.event_id as string;

  const stream = await openStream(`${AP}/queue/data?session_hash=ada-tab`, { headers: bob });
  assert.equal(stream.status, 403);
  assert.equal(stream.json.detail, "This session belongs to another user.");
  for (const [path, body] of [
    ["cancel", { event_id: eventId, session_hash: "ada-tab" }],
    ["reset", { event_id: eventId, session_hash: "ada-tab" }],
    ["queue/join", { data: ["bob"], fn_index: 0, session_hash: "ada-tab" }],
  ] as const) {
    const r = await send(`${AP}/${path}`, { body, headers: bob });
    assert.equal(r.status, 403, path);
    assert.equal(r.json.detail, "This session belongs to another user.", path);
  }
  const callStream = await openStream(`${AP}/call/up/${callId}`, { headers: bob });
  assert.equal(callStream.status, 403);
  assert.equal(callStream.json.detail, "This session belongs to another user.");
  const ws = new TestSocket(wsUrl(authed.url, "/gradio_api/queue/ws?session_hash=ada-tab"), { headers: bob });
  assert.equal(
    await ws.opened().then(
      () => "open",
      (e: Error) => e.message,
    ),
    "HTTP 403",
  );

  // Ada is served: her stream, her /call result, her cancel.
  const mine = await openStream(`${AP}/queue/data?session_hash=ada-tab`, { headers: ada });
  assert.equal(mine.status, 200);
  gateOf("ada").open();
  assert.deepEqual((await mine.stream!.next((m) => m.msg === "process_completed")).output.data, ["ADA"]);
  const myCall = await openStream(`${AP}/call/up/${callId}`, { headers: ada });
  assert.equal(myCall.status, 200);
  gateOf("ada-call").open();
  await myCall.stream!.ended;
  assert.ok(
    myCall.stream!.messages.some((m) => Array.isArray(m) && m[0] === "ADA-CALL"),
    JSON.stringify(myCall.stream!.messages),
  );
  const j2 = await send(`${AP}/queue/join`, {
    body: { data: ["ada-2"], fn_index: 0, session_hash: "ada-tab" },
    headers: ada,
  });
  const cancel = await send(`${AP}/cancel`, {
    body: { event_id: j2.json.event_id, session_hash: "ada-tab" },
    headers: ada,
  });
  assert.equal(cancel.status, 200, cancel.text);
  gateOf("ada-2").open();
});
