/**
 * CORS through @fastify/cors with the allow-list of `allowedOrigins` (issue 18, item 5): an
 * allowed origin gets its own origin back with credentials on every route (files included) and
 * a 204 to any OPTIONS, even before a login; any other origin, a look-alike or none gets no CORS
 * header, and its preflight the JSON 404 of a route that does not exist.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";

const demo = new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text", apiName: "echo" });
const FRIEND = "https://friend.example";

function preflight(url: string, origin: string | null, request: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "OPTIONS",
    headers: { ...(origin === null ? {} : { origin }), ...request },
  });
}

test("an allowed origin gets itself back with credentials on the API, the file route and errors", async () => {
  const app = await launch(demo, {}, { allowedOrigins: [FRIEND, "http://localhost:3000"] });
  const form = new FormData();
  form.append("files", new Blob(["x"]), "a.txt");
  const upload = await fetch(`${app.url}/gradio_api/upload`, {
    method: "POST",
    body: form,
    headers: { origin: FRIEND },
  });
  assert.equal(upload.headers.get("access-control-allow-origin"), FRIEND);
  const [path] = (await upload.json()) as string[];
  for (const [url, status] of [
    [`${app.url}/config`, 200],
    [`${app.url}/gradio_api/info`, 200],
    [`${app.url}/gradio_api/file=${path}`, 200],
    [`${app.url}/gradio_api/nothing-here`, 404],
  ] as const) {
    for (const origin of [FRIEND, "http://localhost:3000"]) {
      const res = await fetch(url, { headers: { origin } });
      await res.arrayBuffer();
      assert.equal(res.status, status, url);
      assert.equal(res.headers.get("access-control-allow-origin"), origin, url);
      assert.equal(res.headers.get("access-control-allow-credentials"), "true", url);
      assert.match(res.headers.get("vary") ?? "", /Origin/, url);
    }
  }
});

test("other origins, look-alikes and requests without Origin get no CORS header", async () => {
  const app = await launch(demo, {}, { allowedOrigins: [FRIEND] });
  for (const origin of [
    "https://evil.example",
    "https://friend.example.evil.example",
    "http://friend.example",
    "https://friend.example:8443",
    "null",
    null,
  ]) {
    const res = await fetch(`${app.url}/config`, { headers: origin === null ? {} : { origin } });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), null, String(origin));
    assert.equal(res.headers.get("access-control-allow-credentials"), null, String(origin));
  }
});

test("preflights: 204 with methods and the requested headers for an allowed origin; JSON 404 for others", async () => {
  const app = await launch(demo, {}, { allowedOrigins: [FRIEND] });
  const join = `${app.url}/gradio_api/queue/join`;
  const ok = await preflight(join, FRIEND, {
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type, x-custom",
  });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get("access-control-allow-origin"), FRIEND);
  assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
  assert.equal(ok.headers.get("access-control-allow-methods"), "GET, POST, OPTIONS");
  assert.equal(ok.headers.get("access-control-allow-headers"), "content-type, x-custom");
  assert.equal(await ok.text(), "");
  // Any OPTIONS from an allowed origin is answered, as before the plugin (no plain-text 400).
  assert.equal((await preflight(join, FRIEND)).status, 204);

  for (const origin of ["https://evil.example", "https://friend.example.evil.example", null]) {
    const res = await preflight(join, origin, { "access-control-request-method": "POST" });
    assert.equal(res.status, 404, String(origin));
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    assert.equal(res.headers.get("access-control-allow-methods"), null);
    assert.deepEqual(await res.json(), { detail: "Not Found" });
  }
});

test("with auth, an allowed origin's preflight is answered before the login check", async () => {
  const app = await launch(demo, {}, { allowedOrigins: [FRIEND], auth: [["ann", "secret-pw"]] });
  const pre = await preflight(`${app.url}/gradio_api/queue/join`, FRIEND, { "access-control-request-method": "POST" });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), FRIEND);
  // The request itself still needs the login, and says so with the CORS headers a page can read.
  const res = await fetch(`${app.url}/config`, { headers: { origin: FRIEND } });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("access-control-allow-origin"), FRIEND);
  await res.arrayBuffer();
});

test("without allowedOrigins no CORS at all: every OPTIONS is a 404", async () => {
  const app = await launch(demo);
  const res = await preflight(`${app.url}/gradio_api/queue/join`, FRIEND, { "access-control-request-method": "POST" });
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("access-control-allow-origin"), null);
  await res.arrayBuffer();
});
