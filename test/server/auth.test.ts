/**
 * Access control: `launch({ auth })` with Gradio's /login cookie flow, 401 on every data route
 * without a login, the real @gradio/client's `auth` option, the login page, and the Authenticator's
 * token checks.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client } from "@gradio/client";
import WebSocket from "ws";
import { Interface } from "../../src/index.ts";
import { Authenticator } from "../../src/server/auth/Authenticator.ts";
import { launch, post } from "../helpers/launch.ts";

const demo = new Interface({ fn: (s: string) => `hi ${s}`, inputs: "text", outputs: "text", apiName: "greet" });
const app = await launch(demo, {}, { auth: [["ada", "lovelace"], ["bob", "pw"]], authMessage: "Ask Ada for a login." });
const P = `${app.url}/gradio_api`;

/** Logs in and returns the Cookie header to send. */
async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${app.url}/login`, { method: "POST", body: new URLSearchParams({ username, password }) });
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { success: true });
  const cookies = res.headers.getSetCookie();
  assert.equal(cookies.length, 2);
  assert.ok(cookies.every((c) => /^access-token-(unsecure-)?[0-9a-f]+=/.test(c) && c.includes("HttpOnly")), String(cookies));
  return cookies.map((c) => c.split(";")[0]).join("; ");
}

test("POST /login with good credentials sets the access-token cookies; wrong ones are 400 Incorrect credentials", async () => {
  await login("ada", "lovelace");
  for (const [u, p] of [["ada", "wrong"], ["bob", "lovelace"], ["nobody", ""], ["", ""]] as const) {
    const res = await fetch(`${app.url}/login`, { method: "POST", body: new URLSearchParams({ username: u, password: p }) });
    assert.equal(res.status, 400, `${u}/${p}`);
    assert.deepEqual(await res.json(), { detail: "Incorrect credentials." });
    assert.equal(res.headers.get("set-cookie"), null);
  }
  // The JS client posts FormData (multipart): accepted too.
  const fd = new FormData();
  fd.append("username", "bob");
  fd.append("password", "pw");
  const res = await fetch(`${app.url}/login`, { method: "POST", body: fd });
  assert.equal(res.status, 200);
  // Missing fields or a body that is no form are 4xx with a detail, never a 5xx.
  const missing = await post(`${app.url}/login`, { username: "ada" });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.detail, "Incorrect credentials.");
  const text = await post(`${app.url}/login`, "x", { "content-type": "text/plain" });
  assert.ok(text.status >= 400 && text.status < 500 && "detail" in text.json, text.text);
});

test("without a login every data route answers 401 with a JSON detail and no data", async () => {
  const checks: [string, RequestInit?][] = [
    [`${app.url}/config`],
    [`${P}/info`],
    [`${P}/app_id`],
    [`${P}/queue/status`],
    [`${P}/queue/data?session_hash=x`],
    [`${P}/heartbeat/x`],
    [`${P}/file=/etc/passwd`],
    [`${P}/call/greet/abc`],
    [`${P}/queue/join`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: ["x"], fn_index: 0, session_hash: "s" }) }],
    [`${P}/run/greet`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: ["x"] }) }],
    [`${P}/call/greet`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: ["x"] }) }],
    [`${P}/upload`, { method: "POST", body: (() => { const f = new FormData(); f.append("files", new Blob(["x"]), "a.txt"); return f; })() }],
    [`${P}/cancel`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }],
    [`${P}/queue/ws`],
    [`${app.url}/no/such/route`],
  ];
  for (const [url, init] of checks) {
    const res = await fetch(url, init);
    const text = await res.text();
    assert.equal(res.status, 401, `${url}: ${res.status} ${text}`);
    const body = JSON.parse(text) as { detail: { error: string; auth_message: string; auth_required: boolean } };
    assert.equal(body.detail.error, "Not authenticated", url);
    assert.equal(body.detail.auth_required, true);
    assert.equal(body.detail.auth_message, "Ask Ada for a login.");
    assert.ok(!text.includes("greet"), `${url} leaks app data: ${text}`);
  }
  // A forged or tampered cookie is no login.
  const cookie = await login("ada", "lovelace");
  const tampered = cookie.replace(/=([A-Za-z0-9_-]+)\./g, "=Ym9i.");
  assert.equal((await fetch(`${app.url}/config`, { headers: { cookie: tampered } })).status, 401);
  assert.equal((await fetch(`${app.url}/config`, { headers: { cookie: "access-token-x=abc.def.ghi" } })).status, 401);
});

test("the queue WebSocket refuses an upgrade without a login, accepts one with it", async () => {
  const wsUrl = `${app.url.replace("http", "ws")}/gradio_api/queue/ws?session_hash=w`;
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(wsUrl);
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.once("open", () => resolve(101));
    ws.once("error", () => undefined);
  });
  assert.equal(status, 401);
  const cookie = await login("ada", "lovelace");
  const ws = new WebSocket(wsUrl, { headers: { cookie } });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.close();
});

test("with the cookie every route works", async () => {
  const cookie = await login("ada", "lovelace");
  const config = await fetch(`${app.url}/config`, { headers: { cookie } });
  assert.equal(config.status, 200);
  const run = await post(`${P}/run/greet`, { data: ["you"] }, { "content-type": "application/json", cookie });
  assert.deepEqual(run.json.data, ["hi you"]);
  const info = await fetch(`${P}/info`, { headers: { cookie } });
  assert.equal(info.status, 200);
});

test("the page at / is a login form without a login, the app with one", async () => {
  const res = await fetch(`${app.url}/`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<form[^>]+method="post"[^>]+action="\/login"/);
  assert.match(html, /name="password" type="password"/);
  assert.match(html, /Ask Ada for a login\./);
  // A browser's form post is redirected back to the page, with the cookies.
  const ok = await fetch(`${app.url}/login`, {
    method: "POST",
    headers: { accept: "text/html" },
    body: new URLSearchParams({ username: "ada", password: "lovelace" }),
    redirect: "manual",
  });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), "/");
  const cookie = ok.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const page = await fetch(`${app.url}/`, { headers: { cookie } });
  assert.doesNotMatch(await page.text(), /type="password"/);
  const bad = await fetch(`${app.url}/login`, {
    method: "POST",
    headers: { accept: "text/html" },
    body: new URLSearchParams({ username: "ada", password: "nope" }),
    redirect: "manual",
  });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /Incorrect credentials\./);
});

test("@gradio/client's auth option logs in and predicts; without it or with a wrong one connect fails", async () => {
  const client = await Client.connect(app.url, { auth: ["ada", "lovelace"] });
  assert.deepEqual((await client.predict("/greet", ["client"])).data, ["hi client"]);
  const job = client.submit("/greet", ["queue"]);
  let last: unknown;
  for await (const ev of job) if ((ev as { type: string }).type === "data") last = (ev as { data: unknown }).data;
  assert.deepEqual(last, ["hi queue"]);
  await assert.rejects(Client.connect(app.url), /Ask Ada for a login\./);
  await assert.rejects(Client.connect(app.url, { auth: ["ada", "wrong"] }));
});

test("an async check function decides; one that throws lets nobody in", async () => {
  const seen: string[] = [];
  const fnApp = await launch(demo, {}, {
    auth: async (u, p) => {
      seen.push(u);
      if (u === "boom") throw new Error("db down");
      return u === "x" && p === "y";
    },
  });
  const ok = await fetch(`${fnApp.url}/login`, { method: "POST", body: new URLSearchParams({ username: "x", password: "y" }) });
  assert.equal(ok.status, 200);
  const no = await fetch(`${fnApp.url}/login`, { method: "POST", body: new URLSearchParams({ username: "x", password: "z" }) });
  assert.equal(no.status, 400);
  const boom = await fetch(`${fnApp.url}/login`, { method: "POST", body: new URLSearchParams({ username: "boom", password: "" }) });
  assert.equal(boom.status, 400);
  assert.deepEqual(seen, ["x", "x", "boom"]);
});

test("Authenticator: tokens expire, are bound to the process secret, and pairs compare in constant time", async () => {
  let now = 1_000_000;
  const a = new Authenticator([["u", "p"]], () => now);
  const b = new Authenticator([["u", "p"]], () => now);
  const token = await a.login("u", "p");
  assert.ok(token !== null && !token.includes("="));
  assert.equal(a.userOf(`${a.cookieName}=${token}`), "u");
  assert.equal(a.userOf(`other=1; ${a.unsecureCookieName}=${token}`), "u");
  assert.equal(b.userOf(`${b.cookieName}=${token}`), null, "another process's token");
  now += 8 * 24 * 3600 * 1000;
  assert.equal(a.userOf(`${a.cookieName}=${token}`), null, "expired");
  assert.equal(await a.login("u", "P"), null);
  assert.equal(await a.login("u\0", "p"), null);
  // Timing: a wrong password of the right length takes about as long as one that differs at once
  // (both are hashed first). A loose bound: this guards against an early-exit compare, not noise.
  const pairs = new Authenticator([["admin", "x".repeat(64)]]);
  const time = async (pw: string): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) await pairs.login("admin", pw);
    return performance.now() - t0;
  };
  let near = Infinity;
  let far = Infinity;
  for (let round = 0; round < 6; round++) {
    near = Math.min(near, await time("x".repeat(63) + "y"));
    far = Math.min(far, await time("y".repeat(64)));
  }
  assert.ok(near < far * 3 && far < near * 3, `near ${near} ms, far ${far} ms`);
});
