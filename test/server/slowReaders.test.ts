/**
 * Memory is bounded under every reader: a client that never reads a large result is cut off once
 * it sits past the per-connection cap, its buffered bytes are released, and its result is kept
 * for a bounded re-read; several such clients never hold more than the per-server cap; a client
 * that comes back reads its result or a clear error; readers that read are not affected. For SSE
 * (/queue/data and /call), the multiplexed WebSocket and the 3.x WebSocket.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import type { RunningApp } from "../../src/compose/launchApp.ts";
import { launch, post, readSse } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { completed, join, queueSocket, TestSocket, wsUrl } from "../helpers/wsClient.ts";

const MiB = 1024 * 1024;
/** Each result: large enough that the kernel's socket buffers cannot take it all. */
const RESULT_CHARS = 12 * MiB;
const CAPS = {
  maxConnectionBufferBytes: MiB,
  maxServerBufferBytes: 40 * MiB,
  slowReaderMs: 300,
  keptResultTtlMs: 20_000,
};

function bigApp() {
  return new Interface({
    fn: (tag: string) => tag + "r".repeat(RESULT_CHARS),
    inputs: "text",
    outputs: "text",
    apiName: "big",
  });
}

/** Values of `/metrics` from one reading (0 when absent). */
async function metrics(app: RunningApp, ...wanted: [name: string, labels: string][]): Promise<number[]> {
  const lines = (await (await fetch(`${app.url}/metrics`)).text()).split("\n");
  return wanted.map(([name, labels]) => {
    const line = lines.find((l) => l.startsWith(`${name}{${labels}}`));
    return line === undefined ? 0 : Number(line.split(" ").at(-1));
  });
}

async function metric(app: RunningApp, name: string, labels: string): Promise<number> {
  return (await metrics(app, [name, labels]))[0] ?? 0;
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  await waitFor(cond, timeoutMs, what);
}

/** An HTTP GET on a raw socket that never reads its answer (until `drain`). */
function neverReads(app: RunningApp, path: string): { socket: Socket; drain: () => Promise<string> } {
  const { hostname, port } = new URL(app.url);
  const socket = connect(Number(port), hostname);
  socket.on("connect", () => socket.pause());
  socket.on("error", () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`);
  return {
    socket,
    // Reads what reached this side until the server's side is gone or the stream ended.
    drain: () =>
      new Promise<string>((resolve) => {
        const parts: Buffer[] = [];
        const text = () => Buffer.concat(parts).toString("latin1");
        socket.on("data", (b: Buffer) => {
          parts.push(b);
          if (b.includes("close_stream")) {
            socket.destroy();
            resolve(text());
          }
        });
        socket.once("close", () => resolve(text()));
        socket.resume();
      }),
  };
}

async function joinSse(app: RunningApp, session: string, tag: string): Promise<void> {
  const r = await post(`${app.url}/gradio_api/queue/join`, { data: [tag], fn_index: 0, session_hash: session });
  assert.equal(r.status, 200, r.text);
}

const cuts = (app: RunningApp) => metric(app, "usher_refusals_total", 'code="SLOW_READER"');
const unreadOnConnections = (app: RunningApp) => metric(app, "usher_unread_bytes", 'held="connections"');
const drops = (app: RunningApp) => metric(app, "usher_refusals_total", 'code="RESULT_DROPPED"');
const kept = (app: RunningApp) => metric(app, "usher_unread_bytes", 'held="kept"');

test("SSE: a client that never reads is cut off past its cap, its bytes released, and it re-reads its result", async () => {
  const app = await launch(bigApp(), {}, CAPS);
  await joinSse(app, "lazy", "A");
  const lazy = neverReads(app, "/gradio_api/queue/data?session_hash=lazy");
  await until("the cut", async () => (await cuts(app)) === 1);
  assert.equal(await unreadOnConnections(app), 0);
  assert.ok((await kept(app)) >= RESULT_CHARS, "its result is kept");
  const got = await lazy.drain();
  assert.ok(got.length < RESULT_CHARS, `the cut reader got ${got.length} bytes, not the whole result`);
  assert.ok(!got.includes("close_stream"));

  const again = await readSse(`${app.url}/gradio_api/queue/data?session_hash=lazy`);
  const done = again.find((m) => m.data?.msg === "process_completed");
  assert.equal(done?.data.success, true);
  assert.equal(done?.data.output.data[0].length, RESULT_CHARS + 1);
  assert.ok(done?.data.output.data[0].startsWith("Ar"));
  assert.equal(again.at(-1)?.data.msg, "close_stream");
  assert.equal(await kept(app), 0, "read: released");
});

test("SSE: the per-server cap holds with several clients that never read; each that comes back gets its result or a clear error", async () => {
  const app = await launch(bigApp(), { concurrencyCount: 8 }, CAPS);
  const N = 6;
  const sessions = Array.from({ length: N }, (_, i) => `many${i}`);
  for (const [i, s] of sessions.entries()) await joinSse(app, s, String(i));
  const readers = sessions.map((s) => neverReads(app, `/gradio_api/queue/data?session_hash=${s}`));
  let peak = 0;
  // Each is cut off (its result kept if it fits), or its result did not fit before its stream came.
  await until(`${N} cuts or drops`, async () => {
    // Both from one reading: a cut moves bytes from one to the other.
    const [onConnections = 0, keptNow = 0] = await metrics(
      app,
      ["usher_unread_bytes", 'held="connections"'],
      ["usher_unread_bytes", 'held="kept"'],
    );
    peak = Math.max(peak, onConnections + keptNow);
    return (await cuts(app)) + (await drops(app)) === N;
  });
  assert.ok(peak <= CAPS.maxServerBufferBytes, `held ${peak} bytes at most, cap ${CAPS.maxServerBufferBytes}`);
  const firstReads = await Promise.all(readers.map((r) => r.drain()));
  let results = 0;
  let dropped = 0;
  for (const [i, s] of sessions.entries()) {
    // What reached it before (a whole small final: the error), else what it reads when it comes back.
    const first = firstReads[i] ?? "";
    const finals = first.includes("close_stream")
      ? [{ data: JSON.parse(/data: (\{"msg":"process_completed".*)\n/.exec(first)?.[1] ?? "null") }]
      : (await readSse(`${app.url}/gradio_api/queue/data?session_hash=${s}`)).filter(
          (m) => m.data?.msg === "process_completed",
        );
    assert.equal(finals.length, 1, `session ${s}: exactly one final message`);
    const f = finals[0]?.data;
    if (f.success === true) {
      assert.ok(f.output.data[0].startsWith(`${i}r`));
      results++;
    } else {
      assert.match(f.output.error, /not kept/);
      dropped++;
    }
  }
  // 40 MiB holds three 12 MiB results; the others got the error.
  assert.ok(results >= 1 && results <= 3, `${results} results kept`);
  assert.equal(results + dropped, N);
  assert.equal(await kept(app), 0);
});

test("/call: a reader that never reads is cut off and reads its result with a second GET", async () => {
  const app = await launch(bigApp(), {}, CAPS);
  const r = await post(`${app.url}/gradio_api/call/big`, { data: ["C"] });
  const id = r.json.event_id as string;
  const lazy = neverReads(app, `/gradio_api/call/big/${id}`);
  await until("the cut", async () => (await cuts(app)) === 1);
  await lazy.drain();
  const again = await readSse(`${app.url}/gradio_api/call/big/${id}`);
  assert.equal(again[0]?.event, "complete");
  assert.equal(again[0]?.data[0].length, RESULT_CHARS + 1);
  // Read once: gone.
  const third = await fetch(`${app.url}/gradio_api/call/big/${id}`);
  assert.equal(third.status, 404);
  await third.text();
});

test("queue socket: a socket that never reads is cut off; the session's next socket reads the result", async () => {
  const app = await launch(bigApp(), {}, CAPS);
  const s = await queueSocket(app.url, "wslazy");
  const id = (await join(s, 1, 0, ["W"]))["event_id"] as string;
  s.ws.pause();
  await until("the cut", async () => (await cuts(app)) === 1);
  assert.equal(await unreadOnConnections(app), 0);
  s.ws.resume();
  await s.closed;
  const back = await queueSocket(app.url, "wslazy");
  const done = await completed(back, id);
  assert.equal(done["output"].data[0].length, RESULT_CHARS + 1);
  back.close();
});

test("3.x socket: a socket that never reads is cut off and its bytes released", async () => {
  const app = await launch(bigApp(), {}, CAPS);
  const s = new TestSocket(wsUrl(app.url, "/queue/join"));
  await s.next((f) => f["msg"] === "send_hash");
  s.send({ fn_index: 0, session_hash: "lazy3" });
  await s.next((f) => f["msg"] === "send_data");
  s.send({ data: ["L"], event_data: null, fn_index: 0, session_hash: "lazy3" });
  s.ws.pause();
  await until("the cut", async () => (await cuts(app)) === 1);
  assert.equal(await unreadOnConnections(app), 0);
  s.ws.resume();
  // A per-event socket cannot come back: it ends without its result.
  const closed = await s.closed;
  assert.notEqual(closed.code, 1000);
  assert.equal(s.frames.filter((f) => f["msg"] === "process_completed").length, 0);
});

test("readers that read are not affected: a result far past the cap arrives whole, on every door", async () => {
  // Room for all three at once: the server cap cuts the readers furthest behind, reading or not.
  // The readers share this process with the server: parsing 12 MB blocks it for a while.
  const app = await launch(bigApp(), {}, { ...CAPS, maxServerBufferBytes: 128 * MiB, slowReaderMs: 3000 });
  await joinSse(app, "reader", "R");
  const call = await post(`${app.url}/gradio_api/call/big`, { data: ["B"] });
  const s = await queueSocket(app.url, "wsreader");
  const [sse, direct, ws] = await Promise.all([
    readSse(`${app.url}/gradio_api/queue/data?session_hash=reader`),
    readSse(`${app.url}/gradio_api/call/big/${call.json.event_id}`),
    join(s, 1, 0, ["S"]).then((j) => completed(s, j["event_id"] as string, 15_000)),
  ]);
  assert.equal(sse.find((m) => m.data?.msg === "process_completed")?.data.output.data[0].length, RESULT_CHARS + 1);
  assert.equal(direct[0]?.data[0].length, RESULT_CHARS + 1);
  assert.equal(ws["output"].data[0].length, RESULT_CHARS + 1);
  s.close();
  assert.equal(await cuts(app), 0);
});

test("readers that read are not affected: large streamed chunks arrive in order", async () => {
  const CHUNK = 200_000;
  const app = await launch(
    new Interface({
      fn: async function* () {
        for (let i = 0; i < 20; i++) yield String(i).padStart(3, "0") + "s".repeat(CHUNK);
      },
      inputs: [],
      outputs: "text",
      apiName: "stream",
    }),
    {},
    CAPS,
  );
  const r = await post(`${app.url}/gradio_api/queue/join`, { data: [], fn_index: 0, session_hash: "streamer" });
  assert.equal(r.status, 200);
  const streamed = await readSse(`${app.url}/gradio_api/queue/data?session_hash=streamer`);
  const seen: number[] = [];
  let value = "";
  for (const m of streamed) {
    if (m.data?.msg !== "process_generating" && m.data?.msg !== "process_completed") continue;
    const d = m.data.output.data[0];
    // The first chunk whole, then diffs; each chunk differs at its start, so a diff replaces the value.
    if (typeof d === "string") value = d;
    else for (const [op, , v] of d as [string, unknown, string][]) if (op === "replace") value = v;
    seen.push(Number(value.slice(0, 3)));
  }
  assert.ok(seen.length >= 2, `${seen.length} messages`);
  for (let i = 1; i < seen.length; i++) assert.ok((seen[i] ?? 0) >= (seen[i - 1] ?? 0), `in order: ${seen.join(",")}`);
  assert.equal(seen.at(-1), 19);
  assert.equal(await cuts(app), 0);
});

test("a reader cut off in the very write of a result (server cap) still ends with exactly one final", async () => {
  // One unread result (and its copy held for a re-read) fits this cap, two do not.
  const app = await launch(bigApp(), {}, { ...CAPS, maxServerBufferBytes: 30 * MiB, slowReaderMs: 60_000 });
  await joinSse(app, "first", "F");
  const a = neverReads(app, "/gradio_api/queue/data?session_hash=first");
  await until("the first result written", async () => (await unreadOnConnections(app)) > 0);
  // The second reader's socket is open before its result exists: the result's write passes the cap.
  const s = await queueSocket(app.url, "second");
  s.ws.pause();
  s.send({ type: "join", ref: 1, fn_index: 0, data: ["S"] });
  await until("the cut", async () => (await cuts(app)) === 1);
  s.ws.resume();
  const joined = await s.next((f) => f["msg"] === "joined");
  await a.drain();
  // A cut socket is terminated at once (the cut is behind us); one that was not answers a ping.
  const secondCut = await new Promise<boolean>((resolve) => {
    void s.closed.then(() => resolve(true));
    if (s.ws.readyState !== s.ws.OPEN) return resolve(true);
    s.ws.once("pong", () => resolve(false));
    s.ws.ping();
  });
  // Whichever was cut, it reads its result or RESULT_DROPPED when it comes back: one final.
  let f: Record<string, any>;
  if (secondCut) {
    const back = await queueSocket(app.url, "second");
    f = await completed(back, joined["event_id"] as string);
    back.close();
  } else {
    s.close();
    f = (await readSse(`${app.url}/gradio_api/queue/data?session_hash=first`)).find(
      (m) => m.data?.msg === "process_completed",
    )?.data;
  }
  assert.ok(
    f["success"] === true ? f["output"].data[0].length === RESULT_CHARS + 1 : /not kept/.test(f["output"].error),
    JSON.stringify(f).slice(0, 200),
  );
});
