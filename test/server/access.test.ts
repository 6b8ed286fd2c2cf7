/**
 * Access beyond login: files only from the store and allowed paths (symlinks out refused), CORS
 * only for allowed origins, and `apiOpen: false` closing the direct POST routes while every door
 * that goes through the queue keeps working.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Client } from "@gradio/client";
import { Interface } from "../../src/index.ts";
import { doorsOf } from "../helpers/doors.ts";
import { launch, post, readSse } from "../helpers/launch.ts";
import { completed, join as joinOverSocket, queueSocket } from "../helpers/wsClient.ts";

const demo = new Interface({ fn: (s: string) => s.toUpperCase(), inputs: "text", outputs: "text", apiName: "up" });

test("/file= serves the store and allowed paths only; symlinks that lead out are refused", async () => {
  const base = await mkdtemp(join(tmpdir(), "usher-access-"));
  const cacheDir = join(base, "cache");
  const allowed = join(base, "assets");
  const secret = join(base, "secret.txt");
  await mkdir(join(cacheDir, "uploads", "a"), { recursive: true });
  await mkdir(allowed, { recursive: true });
  await writeFile(secret, "top secret");
  await writeFile(join(allowed, "ok.txt"), "public");
  await writeFile(join(cacheDir, "uploads", "a", "mine.txt"), "uploaded");
  // Links inside the served folders that point outside them.
  await symlink(secret, join(cacheDir, "uploads", "a", "link.txt"));
  await symlink(base, join(cacheDir, "uploads", "dirlink"));
  await symlink(secret, join(allowed, "link.txt"));
  await symlink("/etc/passwd", join(allowed, "passwd"));
  // A link that stays inside is fine.
  await symlink(join(allowed, "ok.txt"), join(cacheDir, "uploads", "a", "inside.txt"));

  const app = await launch(demo, {}, { cacheDir, allowedPaths: [allowed] });
  const get = async (p: string) => {
    const r = await fetch(`${app.url}/gradio_api/file=${p}`);
    return { status: r.status, text: await r.text() };
  };
  assert.equal((await get(join(cacheDir, "uploads", "a", "mine.txt"))).text, "uploaded");
  assert.equal((await get(join(allowed, "ok.txt"))).text, "public");
  assert.equal((await get(join(cacheDir, "uploads", "a", "inside.txt"))).text, "public");
  for (const p of [
    secret,
    join(cacheDir, "uploads", "a", "link.txt"),
    join(cacheDir, "uploads", "dirlink", "secret.txt"),
    join(allowed, "link.txt"),
    join(allowed, "passwd"),
    join(allowed, "..", "secret.txt"),
    `${cacheDir}/uploads/a/../../../secret.txt`,
    "secret.txt",
  ]) {
    const r = await get(encodeURIComponent(p));
    assert.equal(r.status, 404, `${p}: ${r.status} ${r.text}`);
    assert.ok(!r.text.includes("top secret"));
    assert.ok("detail" in JSON.parse(r.text));
  }
});

test("no CORS headers for foreign origins by default", async () => {
  const app = await launch(demo);
  const r = await fetch(`${app.url}/config`, { headers: { origin: "https://evil.example" } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("access-control-allow-origin"), null);
  const pre = await fetch(`${app.url}/gradio_api/queue/join`, {
    method: "OPTIONS",
    headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
  });
  assert.equal(pre.headers.get("access-control-allow-origin"), null);
});

test("allowedOrigins: listed origins get CORS headers and preflights, others none", async () => {
  const app = await launch(demo, {}, { allowedOrigins: ["https://friend.example"] });
  const ok = await fetch(`${app.url}/config`, { headers: { origin: "https://friend.example" } });
  assert.equal(ok.headers.get("access-control-allow-origin"), "https://friend.example");
  assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
  assert.match(ok.headers.get("vary") ?? "", /Origin/);
  const pre = await fetch(`${app.url}/gradio_api/queue/join`, {
    method: "OPTIONS",
    headers: {
      origin: "https://friend.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    },
  });
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get("access-control-allow-methods") ?? "", /POST/);
  const foreign = await fetch(`${app.url}/config`, { headers: { origin: "https://friend.example.evil.example" } });
  assert.equal(foreign.headers.get("access-control-allow-origin"), null);
});

test("apiOpen false: /run and /api refuse queued functions; queue/join, /call, the client and the page work", async () => {
  const app = await launch(demo, { apiOpen: false });
  const P = `${app.url}/gradio_api`;
  for (const path of ["run/up", "api/up", "run/up/", "api/up/"]) {
    const r = await post(`${P}/${path}`, { data: ["x"] });
    assert.equal(r.status, 404, path);
    assert.match(r.json.detail, /does not accept direct HTTP POST requests/);
  }
  // fn_index in the body cannot bypass it either.
  assert.equal((await post(`${P}/run/anything`, { data: ["x"], fn_index: 0 })).status, 404);
  const call = await post(`${P}/call/up`, { data: ["via call"] });
  assert.equal(call.status, 200);
  const msgs = await readSse(`${P}/call/up/${call.json.event_id}`);
  assert.deepEqual(msgs.find((m) => m.event === "complete")?.data, ["VIA CALL"]);
  const client = await Client.connect(app.url);
  assert.deepEqual((await client.predict("/up", ["via queue"])).data, ["VIA QUEUE"]);
  const page = await fetch(`${app.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /text\/html/);
  // The queue's sockets are queue doors too: the multiplexed one and Gradio 3.x's.
  const socket = await queueSocket(app.url, "api-closed-ws");
  try {
    const joined = await joinOverSocket(socket, 1, 0, ["via socket"]);
    assert.equal(joined["msg"], "joined");
    assert.deepEqual((await completed(socket, joined["event_id"] as string))["output"]["data"], ["VIA SOCKET"]);
  } finally {
    socket.close();
  }
  const legacy = await doorsOf(app.url).legacy({ session_hash: "api-closed-3x", fn_index: 0 }, ["via 3.x"]);
  assert.equal(legacy.error, undefined);
  assert.deepEqual(legacy.frames.find((f) => f["msg"] === "process_completed")?.["output"]?.["data"], ["VIA 3.X"]);
});
