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
const app = await launch(
  demo,
  {},
  {
    auth: [
      ["ada", "lovelace"],
      ["bob", "pw"],
    ],
    authMessage: "Ask Ada for a login.",
  },
);
const P = `${app.url}/gradio_api`;

/** Logs in and returns the Cookie header to send. */
async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${app.url}/login`, { method: "POST", body: new URLSearchParams({ username, password }) });
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { success: true });
  const cookies = res.headers.getSetCookie();
  assert.equal(cookies.length, 2);
  assert.ok(
    cookies.every((c) => /^access-token-(unsecure-)?[0-9a-f]+=/.test(c) && c.includes("HttpOnly")),
    String(cookies),
  );
  return cookies.map((c) => c.split(";")[0]).join("; ");
}

test("POST /login with good credentials sets the access-token cookies; wrong ones are 400 Incorrect credentials", async () => {
  await login("ada", "lovelace");
  for (const [u, p] of [
    ["ada", "wrong"],
    ["bob", "lovelace"],
    ["nobody", ""],
    ["", ""],
  ] as const) {
    const res = await fetch(`${app.url}/login`, {
      method: "POST",
      body: new URLSearchParams({ username: u, password: p }),
    });
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
    [
      `${P}/queue/join`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: ["x"], fn_index: 0, session_hash: "s" }),
      },
    ],
    [
      `${P}/run/greet`,
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: ["x"] }) },
    ],
    [
      `${P}/call/greet`,
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ data: ["x"] }) },
    ],
    [
      `${P}/upload`,
      {
        method: "POST",
        body: (() => {
          const f = new FormData();
          f.append("files", new Blob(["x"]), "a.txt");
          return f;
        })(),
      },
    ],
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
  const cookie = ok.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
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
  const fnApp = await launch(
    demo,
    {},
    {
      auth: async (u, p) => {
        seen.push(u);
        if (u === "boom") throw new Error("db down");
        return u === "x" && p === "y";
      },
    },
  );
  const ok = await fetch(`${fnApp.url}/login`, {
    method: "POST",
    body: new URLSearchParams({ username: "x", password: "y" }),
  });
  assert.equal(ok.status, 200);
  const no = await fetch(`${fnApp.url}/login`, {
    method: "POST",
    body: new URLSearchParams({ username: "x", password: "z" }),
  });
  assert.equal(no.status, 400);
  const boom = await fetch(`${fnApp.url}/login`, {
    method: "POST",
    body: new URLSearchParams({ username: "boom", password: "" }),
  });
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

// ---------------------------------------------------------------------------------------------
// Hardening: rate limit, revocation, cross-origin refusals, Secure cookies. Each test launches
// its own app so that its failed logins and revocations touch no other test.

const pairs: [string, string][] = [
  ["ada", "lovelace"],
  ["bob", "pw"],
];

/** POSTs a login form (urlencoded) with extra headers. */
function postLogin(
  url: string,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/login`, {
    method: "POST",
    headers,
    body: new URLSearchParams({ username, password }),
    redirect: "manual",
  });
}

/** The cookie pair of a successful login response, as a Cookie header. */
function cookieOf(res: Response): string {
  assert.equal(res.status, 200);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/** The HTTP status an upgrade gets (101 when it opens), and the JSON detail of a refusal. */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; detail?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, detail: (JSON.parse(body) as { detail: string }).detail }),
      );
    });
    ws.once("open", () => {
      ws.close();
      resolve({ status: 101 });
    });
    ws.once("error", () => undefined);
  });
}

test("failed logins per address: 10 free, then 429 with Retry-After, even for the right password; X-Forwarded-For from an untrusted peer changes nothing", async () => {
  const a = await launch(demo, {}, { auth: pairs, trustProxy: false });
  for (let i = 0; i < 10; i++) {
    // Rotating names and a forged X-Forwarded-For: neither buys more guesses.
    const res = await postLogin(a.url, `guess${i}`, "x", { "x-forwarded-for": `203.0.113.${i}` });
    assert.equal(res.status, 400, `attempt ${i}`);
  }
  const res = await postLogin(a.url, "ada", "lovelace", { "x-forwarded-for": "198.51.100.1" });
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "1");
  assert.deepEqual(await res.json(), { detail: "Too many failed logins from your address. Try again in 1 s." });
  assert.equal(res.headers.get("set-cookie"), null);
  // A browser's form gets the login page with the reason, and the same status and header.
  const page = await postLogin(a.url, "ada", "lovelace", { accept: "text/html" });
  assert.equal(page.status, 429);
  assert.ok(Number(page.headers.get("retry-after")) >= 1);
  assert.match(await page.text(), /Too many failed logins from your address\. Try again in \d+ s\./);
  // @gradio/client's login (FormData) is throttled the same way.
  await assert.rejects(Client.connect(a.url, { auth: ["ada", "lovelace"] }));
});

test("failed logins per user name across addresses (through a trusted proxy); other names and the owner's known address go on; a success does not reset the address", async () => {
  // The test's peer is 127.0.0.1, trusted by default: X-Forwarded-For names the client, as nginx's would.
  const a = await launch(demo, {}, { auth: pairs });
  cookieOf(await postLogin(a.url, "ada", "lovelace", { "x-forwarded-for": "198.51.100.250" })); // ada, at home
  for (let i = 0; i < 10; i++) {
    const res = await postLogin(a.url, "ada", `guess${i}`, { "x-forwarded-for": `198.51.100.${i}` });
    assert.equal(res.status, 400, `attempt ${i}`);
  }
  const blocked = await postLogin(a.url, "ada", "lovelace", { "x-forwarded-for": "198.51.100.200" });
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.headers.get("retry-after")) >= 1);
  assert.match(
    ((await blocked.json()) as { detail: string }).detail,
    /^Too many failed logins for this user name\. Try again in \d+ s\.$/,
  );
  cookieOf(await postLogin(a.url, "bob", "pw", { "x-forwarded-for": "198.51.100.201" }));
  // Where ada logged in before, the guesses elsewhere do not lock her out.
  cookieOf(await postLogin(a.url, "ada", "lovelace", { "x-forwarded-for": "198.51.100.250" }));
  // One address: 9 failures, a success as bob, one more failure: the 11th attempt waits.
  const from = { "x-forwarded-for": "192.0.2.1, 203.0.113.9" }; // the client is the right-most untrusted entry
  for (let i = 0; i < 9; i++) assert.equal((await postLogin(a.url, `x${i}`, "no", from)).status, 400);
  cookieOf(await postLogin(a.url, "bob", "pw", from));
  assert.equal((await postLogin(a.url, "x9", "no", from)).status, 400);
  const res = await postLogin(a.url, "bob", "pw", from);
  assert.equal(res.status, 429);
  assert.match(((await res.json()) as { detail: string }).detail, /from your address/);
  // The forged left-most entry is not the key: another client behind the proxy is not blocked.
  cookieOf(await postLogin(a.url, "bob", "pw", { "x-forwarded-for": "192.0.2.1, 203.0.113.10" }));
});

test("/logout revokes the token: refused on HTTP routes and WebSocket upgrades; other logins stay", async () => {
  const a = await launch(demo, {}, { auth: pairs });
  const cookie = cookieOf(await postLogin(a.url, "ada", "lovelace"));
  const other = cookieOf(await postLogin(a.url, "ada", "lovelace"));
  const wsBase = a.url.replace("http", "ws");
  assert.equal((await fetch(`${a.url}/config`, { headers: { cookie } })).status, 200);
  assert.equal((await upgrade(`${wsBase}/gradio_api/queue/ws?session_hash=r`, { cookie })).status, 101);
  const out = await fetch(`${a.url}/logout`, { headers: { cookie }, redirect: "manual" });
  assert.equal(out.status, 303);
  assert.ok(out.headers.getSetCookie().every((c) => c.includes("Max-Age=0")));
  // The old cookie, replayed as a copy would be, is no login anywhere.
  assert.equal((await fetch(`${a.url}/config`, { headers: { cookie } })).status, 401);
  const run = await post(
    `${a.url}/gradio_api/run/greet`,
    { data: ["x"] },
    { "content-type": "application/json", cookie },
  );
  assert.equal(run.status, 401);
  assert.equal(run.json.detail.error, "Not authenticated");
  for (const path of ["/gradio_api/queue/ws?session_hash=r", "/queue/join"]) {
    assert.deepEqual(await upgrade(`${wsBase}${path}`, { cookie }), { status: 401, detail: "Not authenticated" });
  }
  assert.equal(
    (await fetch(`${a.url}/config`, { headers: { cookie: other } })).status,
    200,
    "another login of the same user",
  );
});

test("with auth, state-changing requests from another origin are refused with 403 on every door; own origin, no Origin and allowedOrigins work", async () => {
  const a = await launch(demo, {}, { auth: pairs, allowedOrigins: ["https://friend.example"] });
  const cookie = cookieOf(await postLogin(a.url, "ada", "lovelace"));
  const G = `${a.url}/gradio_api`;
  const json = { "content-type": "application/json" };
  const upload = (): FormData => {
    const f = new FormData();
    f.append("files", new Blob(["x"]), "a.txt");
    return f;
  };
  const doors: [string, () => RequestInit][] = [
    [`${a.url}/login`, () => ({ method: "POST", body: new URLSearchParams({ username: "bob", password: "pw" }) })],
    [`${G}/upload`, () => ({ method: "POST", body: upload() })],
    [
      `${G}/queue/join`,
      () => ({ method: "POST", headers: json, body: JSON.stringify({ data: ["x"], fn_index: 0, session_hash: "co" }) }),
    ],
    [`${G}/call/greet`, () => ({ method: "POST", headers: json, body: JSON.stringify({ data: ["x"] }) })],
    [`${G}/run/greet`, () => ({ method: "POST", headers: json, body: JSON.stringify({ data: ["x"] }) })],
    [`${G}/api/greet`, () => ({ method: "POST", headers: json, body: JSON.stringify({ data: ["x"] }) })],
    [`${a.url}/run/greet`, () => ({ method: "POST", headers: json, body: JSON.stringify({ data: ["x"] }) })],
    [
      `${G}/cancel`,
      () => ({ method: "POST", headers: json, body: JSON.stringify({ event_id: "e", session_hash: "co" }) }),
    ],
    [`${a.url}/reset`, () => ({ method: "POST", headers: json, body: "{}" })],
  ];
  const send = (url: string, init: RequestInit, extra: Record<string, string>) =>
    fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string> | undefined), cookie, ...extra },
      redirect: "manual",
    });
  const foreign: Record<string, string>[] = [
    { origin: "https://evil.example" },
    { origin: "null" },
    { origin: "https://friend.example.evil.example" },
    { origin: `http://${new URL(a.url).hostname}:1` }, // same host, another port: another origin
    { "sec-fetch-site": "cross-site" },
    { "sec-fetch-site": "same-site", referer: "https://sub.evil.example/page" },
    { referer: "https://evil.example/page" },
  ];
  for (const [url, init] of doors) {
    for (const h of foreign) {
      const res = await send(url, init(), h);
      const text = await res.text();
      assert.equal(res.status, 403, `${url} ${JSON.stringify(h)}: ${res.status} ${text}`);
      assert.match((JSON.parse(text) as { detail: string }).detail, /^Cross-origin request refused: /);
    }
    const own = new URL(a.url).origin;
    const fine: Record<string, string>[] = [
      {},
      { origin: own },
      { origin: "https://friend.example" },
      { "sec-fetch-site": "same-origin" },
      { referer: `${own}/` },
    ];
    for (const h of fine) {
      const res = await send(url, init(), h);
      assert.notEqual(res.status, 403, `${url} ${JSON.stringify(h)}: ${await res.text()}`);
      assert.ok(res.status < 500, `${url} ${JSON.stringify(h)}: ${res.status}`);
    }
  }
  const detail = (await (await send(`${G}/queue/join`, doors[2]![1](), { origin: "https://evil.example" })).json()) as {
    detail: string;
  };
  assert.equal(
    detail.detail,
    'Cross-origin request refused: origin "https://evil.example" is not this server\'s and not in allowedOrigins.',
  );
  // Behind a proxy the public host comes in X-Forwarded-Host: that page is our own.
  const proxied = await send(`${G}/run/greet`, doors[4]![1](), {
    origin: "https://public.example",
    "x-forwarded-host": "public.example",
  });
  assert.equal(proxied.status, 200);
  // Reads are not refused (the browser keeps a foreign page from reading them without CORS).
  assert.equal((await fetch(`${a.url}/config`, { headers: { cookie, origin: "https://evil.example" } })).status, 200);
  // Both WebSocket doors, with the cookie.
  const wsBase = a.url.replace("http", "ws");
  // Each accepted socket of the queue door gets its own session: a second live reader of one
  // session is refused (409) for reasons that have nothing to do with origins.
  let n = 0;
  const paths = [() => `/gradio_api/queue/ws?session_hash=co${++n}`, () => "/queue/join"];
  for (const pathOf of paths) {
    const path = pathOf();
    const refused = await upgrade(`${wsBase}${path}`, { cookie, origin: "https://evil.example" });
    assert.equal(refused.status, 403, path);
    assert.match(refused.detail ?? "", /^Cross-origin request refused: origin "https:\/\/evil\.example"/);
    assert.equal(
      (await upgrade(`${wsBase}${pathOf()}`, { cookie, origin: "https://friend.example" })).status,
      101,
      path,
    );
    assert.equal((await upgrade(`${wsBase}${pathOf()}`, { cookie, origin: new URL(a.url).origin })).status, 101, path);
    assert.equal((await upgrade(`${wsBase}${pathOf()}`, { cookie })).status, 101, path);
  }
  // A cross-site /logout (an image or link on another site) neither logs out nor revokes.
  const out = await fetch(`${a.url}/logout`, {
    headers: { cookie, "sec-fetch-site": "cross-site" },
    redirect: "manual",
  });
  assert.equal(out.status, 403);
  assert.equal((await fetch(`${a.url}/config`, { headers: { cookie } })).status, 200);
});

test("the cookies are Secure when the request came over https through a trusted proxy, not otherwise", async () => {
  const attrs = (res: Response): string[][] => res.headers.getSetCookie().map((c) => c.split(";").map((s) => s.trim()));
  const a = await launch(demo, {}, { auth: pairs });
  const plain = attrs(await postLogin(a.url, "ada", "lovelace"));
  assert.equal(plain.length, 2);
  assert.ok(plain[1]![0]!.startsWith("access-token-unsecure-"));
  assert.ok(!plain[1]!.includes("Secure"), String(plain[1]));
  assert.ok(plain[1]!.includes("SameSite=Lax") && plain[1]!.includes("HttpOnly"));
  // Through the README's nginx (127.0.0.1, trusted by default) on an https site: both are Secure.
  const https = await postLogin(a.url, "ada", "lovelace", {
    "x-forwarded-proto": "https",
    "x-forwarded-for": "198.51.100.7",
  });
  const secure = attrs(https);
  assert.ok(
    secure.every((c) => c.includes("Secure") && c.includes("HttpOnly")),
    JSON.stringify(secure),
  );
  const cookie = secure.map((c) => c[0]).join("; ");
  const out = await fetch(`${a.url}/logout`, { headers: { cookie, "x-forwarded-proto": "https" }, redirect: "manual" });
  assert.ok(attrs(out).every((c) => c.includes("Secure") && c.includes("Max-Age=0")));
  // From a peer that is not a trusted proxy, X-Forwarded-Proto is not believed.
  const b = await launch(demo, {}, { auth: pairs, trustProxy: false });
  const forged = attrs(await postLogin(b.url, "ada", "lovelace", { "x-forwarded-proto": "https" }));
  assert.ok(!forged[1]!.includes("Secure"), String(forged[1]));
  // A proxy named by address or range is trusted the same way.
  const c = await launch(demo, {}, { auth: pairs, trustProxy: ["127.0.0.0/8"] });
  assert.ok(attrs(await postLogin(c.url, "ada", "lovelace", { "x-forwarded-proto": "https" }))[1]!.includes("Secure"));
});

test("launch({ trustProxy }) is validated", async () => {
  await assert.rejects(launch(demo, {}, { trustProxy: ["not an address"] }), /trustProxy/);
  await assert.rejects(launch(demo, {}, { trustProxy: ["10.0.0.0/33"] }), /trustProxy/);
  await assert.rejects(launch(demo, {}, { trustProxy: true as unknown as false }), /trustProxy/);
});
