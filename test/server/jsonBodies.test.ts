/**
 * JSON bodies with `__proto__` (issue 14, item 8): a valid body is accepted with the poisonous
 * keys dropped, on every door (Fastify's routes, the fast lane's join, WebSocket frames); the same
 * words as values are plain data; a body that is really not JSON says why.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { invalidJsonMessage, parseJson } from "../../src/server/parseJson.ts";
import { launch, post, readSse } from "../helpers/launch.ts";
import { TestSocket, wsUrl } from "../helpers/wsClient.ts";

const app = await launch(new Interface({ fn: (j: unknown) => j, inputs: "json", outputs: "json", apiName: "echo" }), {
  apiOpen: true,
});
const P = `${app.url}/gradio_api`;
/** Fastify's parser, not the fast lane (which takes only the two exact JSON content types). */
const VIA_FASTIFY = { "content-type": "application/json; charset=UTF-8" };

function assertNotPolluted(): void {
  const probe: Record<string, unknown> = {};
  assert.equal(probe["polluted"], undefined, "Object.prototype was polluted");
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
}

test("parseJson drops __proto__ keys and constructor keys holding a prototype, at any depth, escaped or not", () => {
  assert.deepEqual(parseJson('{"__proto__":{"polluted":1},"a":1}'), { a: 1 });
  assert.deepEqual(parseJson('{"a":[{"__proto__":1,"b":{"__proto__":{"x":1},"c":2}}]}'), { a: [{ b: { c: 2 } }] });
  assert.deepEqual(parseJson('{"\\u005f_proto__":{"polluted":1},"a":1}'), { a: 1 });
  assert.deepEqual(parseJson('{"constructor":{"prototype":{"polluted":1}},"a":1}'), { a: 1 });
  // Harmless look-alikes stay.
  assert.deepEqual(parseJson('{"constructor":"c","proto":1,"data":["__proto__","constructor"]}'), {
    constructor: "c",
    proto: 1,
    data: ["__proto__", "constructor"],
  });
  const parsed = parseJson('{"constructor":{"name":"x"}}') as Record<string, unknown>;
  assert.ok(Object.hasOwn(parsed, "constructor"), "a constructor key without a prototype is data");
  assert.equal(Object.getPrototypeOf(parseJson('{"__proto__":[]}')), Object.prototype);
  assertNotPolluted();
  assert.throws(() => parseJson("{nope"), SyntaxError);
  assert.match(
    invalidJsonMessage(new SyntaxError("Unexpected end of JSON input")),
    /^Body is not valid JSON: Unexpected end of JSON input$/,
  );
  assert.equal(invalidJsonMessage(new Error("x")), "Body is not valid JSON.");
});

test("a /run body with __proto__ is accepted without it; inside the data the key is dropped, as a value it is kept", async () => {
  const top = await post(`${P}/run/echo`, '{"__proto__":{"polluted":1},"data":[{"a":1}]}', VIA_FASTIFY);
  assert.equal(top.status, 200, top.text);
  assert.deepEqual(top.json.data, [{ a: 1 }]);
  const inside = await post(
    `${P}/run/echo`,
    '{"data":[{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"keep":2}]}',
    VIA_FASTIFY,
  );
  assert.equal(inside.status, 200, inside.text);
  assert.deepEqual(inside.json.data, [{ keep: 2 }]);
  const value = await post(`${P}/run/echo`, '{"data":["__proto__"]}', VIA_FASTIFY);
  assert.deepEqual(value.json.data, ["__proto__"]);
  const onlyKey = await post(`${P}/run/echo`, '{"data":[{"__proto__":1}]}', VIA_FASTIFY);
  assert.deepEqual(onlyKey.json.data, [{}]);
  assertNotPolluted();
});

test("the queue's join (fast lane and Fastify route alike) accepts a body with __proto__", async () => {
  for (const [i, headers] of [{ "content-type": "application/json" }, VIA_FASTIFY].entries()) {
    const session = `proto${i}`;
    const r = await post(
      `${P}/queue/join`,
      `{"__proto__":{"polluted":1},"data":[{"__proto__":1,"v":${i}}],"fn_index":0,"session_hash":"${session}"}`,
      headers,
    );
    assert.equal(r.status, 200, r.text);
    const msgs = await readSse(`${P}/queue/data?session_hash=${session}`);
    const done = msgs.find((m) => m.data?.msg === "process_completed");
    assert.deepEqual(done?.data.output.data, [{ v: i }]);
  }
  assertNotPolluted();
});

test("WebSocket frames: a join frame with __proto__ keys works", async () => {
  const s = new TestSocket(wsUrl(app.url, "/queue/join"));
  await s.next((f) => f["msg"] === "send_hash");
  s.send('{"__proto__":{"polluted":1},"fn_index":0,"session_hash":"wsproto"}');
  await s.next((f) => f["msg"] === "send_data");
  s.send(
    '{"data":[{"constructor":{"prototype":{"polluted":1}},"w":1}],"event_data":null,"fn_index":0,"session_hash":"wsproto"}',
  );
  const done = await s.next((f) => f["msg"] === "process_completed");
  assert.deepEqual(done["output"].data, [{ w: 1 }]);
  assertNotPolluted();
});

test("a body that is not JSON says why, on both doors; an empty one says it is empty", async () => {
  for (const headers of [{ "content-type": "application/json" }, VIA_FASTIFY]) {
    const r = await post(`${P}/queue/join`, '{"data": [1,', headers);
    assert.equal(r.status, 400);
    assert.match(r.json.detail, /^Body is not valid JSON: \S/, JSON.stringify(headers));
  }
  const run = await post(`${P}/run/echo`, "{'data': []}", VIA_FASTIFY);
  assert.equal(run.status, 400);
  assert.match(run.json.detail, /^Body is not valid JSON: \S/);
  const empty = await fetch(`${P}/run/echo`, { method: "POST", headers: VIA_FASTIFY, body: "" });
  assert.equal(empty.status, 400);
  assert.deepEqual(await empty.json(), { detail: "Body is empty; send a JSON object." });
});
