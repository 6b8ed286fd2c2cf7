/**
 * Issue 17 at the doors: every queue door (the SSE join through the fast lane and the Fastify
 * route, `/call`, the multiplexed socket, Gradio 3.x's socket) gives the engine the join's client
 * key (the signed-in user, else the client address through trusted proxies) and priority, and
 * calls the app's `queue({ clientKey, priority })` with the same request fields. A callback that
 * fails does not refuse the join. Direct `/run` is not queued: no callback, no key.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import type { JoinRequest, QueueRequest } from "../../src/queue/types.ts";
import type { RunningApp } from "../../src/app/RunningApp.ts";
import type { QueueOptions } from "../../src/options.ts";
import { routeWarnings } from "../../src/warnings.ts";
import { launch } from "../helpers/launch.ts";
import { TestSocket, wsUrl } from "../helpers/wsClient.ts";

type Headers = Record<string, string>;
type Door = QueueRequest["door"];

const demo = () => new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text", apiName: "echo" });

/** Records every JoinRequest the app's engine gets. */
function spyAdmit(app: RunningApp): JoinRequest[] {
  const seen: JoinRequest[] = [];
  const engine = app.engine;
  const admit = engine.admit.bind(engine);
  engine.admit = (req) => {
    seen.push(req);
    return admit(req);
  };
  return seen;
}

async function post(url: string, body: unknown, headers: Headers, type = "application/json"): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": type, ...headers },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

/** Joins once through `door` (each with its own session `hash`) and resolves once admitted. */
async function joinThrough(url: string, door: Door | "route", hash: string, headers: Headers = {}): Promise<void> {
  const P = `${url}/gradio_api`;
  const body = { data: ["x"], fn_index: 0, session_hash: hash };
  switch (door) {
    case "join":
      await post(`${P}/queue/join`, body, headers);
      return;
    case "route":
      // A content type the fast lane leaves to Fastify's route.
      await post(`${P}/queue/join`, body, headers, "application/json; charset=UTF-8");
      return;
    case "call":
      await post(`${P}/call/echo`, { data: ["x"] }, headers);
      return;
    case "ws": {
      const s = new TestSocket(wsUrl(url, `/gradio_api/queue/ws?session_hash=${hash}`), { headers });
      await s.next((f) => f["msg"] === "hello");
      s.send({ type: "join", ref: 1, fn_index: 0, data: ["x"] });
      const f = await s.next((m) => m["msg"] === "joined" || m["msg"] === "join_error");
      assert.equal(f["msg"], "joined", JSON.stringify(f));
      await s.next((m) => m["msg"] === "process_completed");
      s.close();
      return;
    }
    case "legacy": {
      const s = new TestSocket(wsUrl(url, "/queue/join"), { headers });
      await s.next((f) => f["msg"] === "send_hash");
      s.send({ fn_index: 0, session_hash: hash });
      await s.next((f) => f["msg"] === "send_data");
      s.send({ data: ["x"], event_data: null, fn_index: 0, session_hash: hash });
      assert.equal((await s.closed).code, 1000);
      return;
    }
    case "run":
      await post(`${P}/run/echo`, { data: ["x"], session_hash: hash }, headers);
      return;
  }
}

const QUEUE_DOORS = ["join", "route", "call", "ws", "legacy"] as const;
/** The QueueRequest door of each way in: the lane and the route are both "join". */
const doorName = (d: (typeof QUEUE_DOORS)[number]): Door => (d === "route" ? "join" : d);

test("no callbacks: each queue door joins with the client address as its key and priority 0", async () => {
  const app = await launch(demo());
  const seen = spyAdmit(app);
  for (const door of QUEUE_DOORS) {
    await joinThrough(app.url, door, `plain-${door}`);
    // The default proxy trust (loopback) believes a local proxy's X-Forwarded-For.
    await joinThrough(app.url, door, `proxied-${door}`, { "x-forwarded-for": "203.0.113.7" });
  }
  assert.deepEqual(
    seen.map((r) => [r.clientKey, r.priority]),
    QUEUE_DOORS.flatMap(() => [
      ["127.0.0.1", 0],
      ["203.0.113.7", 0],
    ]),
  );
});

test("trustProxy false: X-Forwarded-For is not believed on any door", async () => {
  const app = await launch(demo(), {}, { trustProxy: false });
  const seen = spyAdmit(app);
  for (const door of QUEUE_DOORS)
    await joinThrough(app.url, door, `untrusted-${door}`, { "x-forwarded-for": "203.0.113.7" });
  assert.deepEqual(
    seen.map((r) => r.clientKey),
    QUEUE_DOORS.map(() => "127.0.0.1"),
  );
});

test("auth on: the key is the signed-in user on every door, whatever the address", async () => {
  const app = await launch(demo(), {}, { auth: [["ada", "lovelace"]] });
  const res = await fetch(`${app.url}/login`, {
    method: "POST",
    body: new URLSearchParams({ username: "ada", password: "lovelace" }),
  });
  assert.equal(res.status, 200);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const seen = spyAdmit(app);
  for (const door of QUEUE_DOORS) {
    await joinThrough(app.url, door, `auth-${door}`, { cookie, "x-forwarded-for": `198.51.100.${door.length}` });
  }
  assert.deepEqual(
    seen.map((r) => r.clientKey),
    QUEUE_DOORS.map(() => "ada"),
  );
});

test("the app's callbacks see the same request fields on every door and set key and priority", async () => {
  const requests: QueueRequest[] = [];
  const queue: QueueOptions = {
    clientKey: (r) => {
      requests.push(r);
      return `team:${String(r.headers["x-team"])}`;
    },
    priority: (r) => (r.door === "call" ? 2 : r.headers["x-team"] === "red" ? 1 : 0),
  };
  const app = await launch(demo(), queue);
  const seen = spyAdmit(app);
  for (const door of QUEUE_DOORS) {
    await joinThrough(app.url, door, `cb-${door}`, { "x-team": "red", "x-forwarded-for": "203.0.113.9" });
  }
  assert.deepEqual(
    seen.map((r) => [r.clientKey, r.priority]),
    QUEUE_DOORS.map((d) => ["team:red", d === "call" ? 2 : 1]),
  );
  assert.deepEqual(
    requests.map((r) => ({
      door: r.door,
      address: r.address,
      user: r.user,
      fnIndex: r.fnIndex,
      team: r.headers["x-team"],
      // /call's events are sessions of their own; the 3.x socket joins with the hash it sent.
      session: r.door === "call" ? r.sessionHash.startsWith("call:") : r.sessionHash,
    })),
    QUEUE_DOORS.map((d) => ({
      door: doorName(d),
      address: "203.0.113.9",
      user: null,
      fnIndex: 0,
      team: "red",
      session: d === "call" ? true : `cb-${d}`,
    })),
  );
});

test("a callback that throws or returns a bad value: the join goes on with the defaults, and one warning says so", async () => {
  const warnings: string[] = [];
  const unroute = routeWarnings((_type, message) => warnings.push(message));
  try {
    const app = await launch(demo(), {
      clientKey: (r) => {
        if (r.headers["x-mode"] === "throw") throw new Error("no team header");
        return r.headers["x-mode"] === "empty" ? "" : (42 as unknown as string);
      },
      priority: (r) => (r.headers["x-mode"] === "throw" ? Number.NaN : (Promise.resolve(3) as unknown as number)),
    });
    const seen = spyAdmit(app);
    for (const door of QUEUE_DOORS) {
      for (const mode of ["throw", "empty", "number"])
        await joinThrough(app.url, door, `bad-${door}-${mode}`, { "x-mode": mode });
    }
    assert.equal(seen.length, QUEUE_DOORS.length * 3, "every join admitted");
    assert.ok(
      seen.every((r) => r.clientKey === "127.0.0.1" && r.priority === 0),
      JSON.stringify(seen.map((r) => [r.clientKey, r.priority])),
    );
    // One warning for the first failure; the rest are counted into the next one (a minute later).
    assert.deepEqual(warnings, [
      "queue({ clientKey }) threw (no team header): the join got the default key (the signed-in user, else the address).",
    ]);
  } finally {
    unroute();
  }
});

test("direct /run is not queued: no callback runs and the engine admits nothing", async () => {
  let calls = 0;
  const app = await launch(demo(), {
    clientKey: () => {
      calls++;
      return "k";
    },
  });
  const seen = spyAdmit(app);
  await joinThrough(app.url, "run", "direct-1");
  assert.equal(calls, 0);
  assert.equal(seen.length, 0);
});
