import assert from "node:assert/strict";
import { request } from "node:http";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { launch, post, readSse } from "../helpers/launch.ts";

const demo = new Interface({
  fn: (a: string, n: number) => `${a}${n}`,
  inputs: ["text", "number"],
  outputs: "text",
  apiName: "predict",
});
const app = await launch(demo, { apiOpen: true }, { maxBodyBytes: 64 * 1024 });
const P = `${app.url}/gradio_api`;

/** Every bad request must get a 4xx with a JSON detail. */
function assertRefused(r: { status: number; json: any; text: string }, status: number, what: string): void {
  assert.equal(r.status, status, `${what}: status ${r.status} ${r.text}`);
  assert.ok(r.json !== undefined && "detail" in r.json, `${what}: JSON detail expected, got ${r.text}`);
}

test("malformed JSON is a 400 with a detail", async () => {
  assertRefused(await post(`${P}/queue/join`, "{not json"), 400, "bad json");
  assertRefused(await post(`${P}/queue/join`, "[1,2"), 400, "truncated json");
});

test("wrong body shapes are 400s", async () => {
  assertRefused(await post(`${P}/queue/join`, [1, 2]), 400, "array body");
  assertRefused(await post(`${P}/queue/join`, { data: "x", fn_index: 0, session_hash: "s" }), 400, "data not a list");
  assertRefused(await post(`${P}/queue/join`, { data: [], fn_index: -1, session_hash: "s" }), 400, "negative fn_index");
  assertRefused(await post(`${P}/queue/join`, { data: [], fn_index: "0", session_hash: "s" }), 400, "string fn_index");
  assertRefused(
    await post(`${P}/queue/join`, { data: ["a", 1], fn_index: 0, session_hash: 5 }),
    400,
    "numeric session",
  );
});

test("a join without session_hash is a 400 'Session hash not found.'", async () => {
  const r = await post(`${P}/queue/join`, { data: ["a", 1], fn_index: 0 });
  assertRefused(r, 400, "no session");
  assert.equal(r.json.detail, "Session hash not found.");
});

test("unknown fn_index, api name or route is a 404", async () => {
  assertRefused(await post(`${P}/queue/join`, { data: [], fn_index: 99, session_hash: "s" }), 404, "fn 99");
  assertRefused(await post(`${P}/run/nope`, { data: [] }), 404, "run unknown");
  assertRefused(await post(`${P}/call/nope`, { data: [] }), 404, "call unknown");
  const r = await fetch(`${P}/no/such/route`);
  assert.equal(r.status, 404);
  assert.ok("detail" in ((await r.json()) as object));
});

test("wrong number or type of inputs is a 422 with a validation detail", async () => {
  const few = await post(`${P}/queue/join`, { data: ["a"], fn_index: 0, session_hash: "s" });
  assertRefused(few, 422, "too few inputs");
  const wrongType = await post(`${P}/queue/join`, { data: [{ x: 1 }, "NaN"], fn_index: 0, session_hash: "s" });
  assertRefused(wrongType, 422, "wrong types");
  assertRefused(await post(`${P}/run/predict`, { data: [1, 2, 3] }), 422, "run wrong count");
});

test("an oversized body is a 413, a form body a 415, a text body that is not JSON a 400", async () => {
  const big = JSON.stringify({ data: ["x".repeat(100 * 1024), 1], fn_index: 0, session_hash: "s" });
  assertRefused(await post(`${P}/queue/join`, big), 413, "huge body");
  assertRefused(
    await post(`${P}/queue/join`, "data=1", { "content-type": "application/x-www-form-urlencoded" }),
    415,
    "form",
  );
  assertRefused(await post(`${P}/queue/join`, "data=1", { "content-type": "text/plain" }), 400, "text/plain");
});

test("cancel of an unknown event is a 404; a cancel without ids a 400", async () => {
  assertRefused(await post(`${P}/cancel`, { event_id: "nope", session_hash: "s", fn_index: 0 }), 404, "unknown event");
  assertRefused(await post(`${P}/cancel`, {}), 400, "no ids");
});

test("a stream for an unknown session says session_not_found inside a 200 stream", async () => {
  const msgs = await readSse(`${P}/queue/data?session_hash=never-joined`);
  assert.equal(msgs[0]?.data.msg, "unexpected_error");
  assert.equal(msgs[0]?.data.session_not_found, true);
});

test("file paths outside the store are refused, traversal included", async () => {
  for (const p of ["/etc/passwd", "../../../../etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/proc/self/environ"]) {
    const r = await rawGet(`/gradio_api/file=${p}`);
    assert.equal(r.status, 404, `${p}: ${r.status}`);
    assert.ok("detail" in JSON.parse(r.body), p);
  }
});

test("after all of that the server still serves", async () => {
  const r = await post(`${P}/run/predict`, { data: ["ok", 1] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.data, ["ok1"]);
});

/** GET with the path sent as is (fetch would normalise `..`). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const u = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
