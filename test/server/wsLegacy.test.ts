/**
 * Gradio 3.x's per-event queue socket at `/queue/join` (doc §10.3), driven frame by frame, and
 * the root-level routes 3.x clients use.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, test } from "node:test";
import { AppError, Interface } from "../../src/index.ts";
import { legacyDataTimeoutMessage } from "../../src/server/ws/LegacyDataWait.ts";
import { legacyTimeouts } from "../../src/server/ws/LegacyQueueSocket.ts";
import { launch, post } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { gate, gatedEcho } from "../helpers/gatedDemo.ts";
import { legacyJoin, sendData } from "../helpers/legacySocket.ts";
import { TestSocket, wsUrl, type Frame } from "../helpers/wsClient.ts";

const ESTIMATION_FIELDS = [
  "msg",
  "rank",
  "queue_size",
  "avg_event_process_time",
  "avg_event_concurrent_process_time",
  "rank_eta",
  "queue_eta",
];

for (const at of ["join", "start"] as const) {
  const order =
    at === "start"
      ? ["send_hash", "estimation", "send_data", "process_starts", "process_completed"]
      : ["send_hash", "send_data", "estimation", "process_starts", "process_completed"];
  test(`the 3.x sequence, inputs at ${at}: ${order.join(", ")}, close 1000; every 3.x field`, async () => {
    const app = await launch(
      new Interface({ fn: (s: string) => `${s}!`, inputs: "text", outputs: "text", apiName: "predict" }),
      {},
      { legacyInputsAt: at },
    );
    for (const round of [1, 2]) {
      const s = await legacyJoin(app.url, 0);
      await sendData(s, ["hi"]);
      const done = await s.next((f) => f["msg"] === "process_completed");
      assert.equal((await s.closed).code, 1000);
      const msgs = s.frames.map((f) => f["msg"]);
      assert.deepEqual(msgs, order);
      const est = s.frames[msgs.indexOf("estimation")] as Frame;
      assert.deepEqual(Object.keys(est), ESTIMATION_FIELDS);
      assert.equal(est["rank"], 0);
      if (round === 2) assert.ok(est["avg_event_process_time"] > 0, "the average after one call");
      assert.ok(!("event_id" in est), "3.x messages carry no event_id");
      assert.deepEqual(s.frames[3], { msg: "process_starts" });
      assert.deepEqual(Object.keys(done["output"]).sort(), ["average_duration", "data", "duration", "is_generating"]);
      assert.deepEqual([done["output"].data, done["success"]], [["hi!"], true]);
    }
  });
}

test("inputs at start: asked for only when the event reaches a worker; the pool is never overcommitted", async () => {
  let running = 0;
  let most = 0;
  const gates = [gate(), gate(), gate()];
  let call = 0;
  const demo = new Interface({
    fn: async (s: string) => {
      running++;
      most = Math.max(most, running);
      await gates[call++]!.wait;
      running--;
      return s;
    },
    inputs: "text",
    outputs: "text",
  });
  const app = await launch(demo, { concurrencyCount: 1 }, { legacyInputsAt: "start" });
  const a = await legacyJoin(app.url, 0);
  await sendData(a, ["a"]);
  await a.next((f) => f["msg"] === "process_starts");
  const b = await legacyJoin(app.url, 0);
  const c = await legacyJoin(app.url, 0);
  const estB = await b.next((f) => f["msg"] === "estimation");
  const estC = await c.next((f) => f["msg"] === "estimation");
  assert.deepEqual([estB["rank"], estC["rank"], estC["queue_size"]], [0, 1, 2]);
  // Inputs are asked for when an event is dispatched: both still wait, so neither was asked.
  assert.equal(await app.engine.size(), 2);
  assert.ok(!b.frames.some((f) => f["msg"] === "send_data"), "no send_data while the worker is busy");
  gates[0]!.open();
  await a.next((f) => f["msg"] === "process_completed");
  // b reaches the worker: only now its inputs are asked for; c moves up.
  await sendData(b, ["b"]);
  const moved = await c.next((f) => f["msg"] === "estimation" && f["rank"] === 0);
  assert.equal(moved["queue_size"], 1);
  assert.ok(!c.frames.some((f) => f["msg"] === "send_data"));
  gates[1]!.open();
  assert.deepEqual((await b.next((f) => f["msg"] === "process_completed"))["output"].data, ["b"]);
  await sendData(c, ["c"]);
  gates[2]!.open();
  assert.deepEqual((await c.next((f) => f["msg"] === "process_completed"))["output"].data, ["c"]);
  assert.equal(most, 1);
});

test("queue full: queue_full, then close", async () => {
  const { demo, open } = gatedEcho();
  const app = await launch(demo, { concurrencyCount: 1, maxSize: 1 }, { legacyInputsAt: "start" });
  const a = await legacyJoin(app.url, 0);
  await sendData(a, ["a"]);
  const b = await legacyJoin(app.url, 0);
  await b.next((f) => f["msg"] === "estimation");
  const c = await legacyJoin(app.url, 0);
  await c.next((f) => f["msg"] === "queue_full");
  assert.equal((await c.closed).code, 1000);
  assert.deepEqual(
    c.frames.map((f) => f["msg"]),
    ["send_hash", "queue_full"],
  );
  open();
  await sendData(b, ["b"]);
  await b.next((f) => f["msg"] === "process_completed");
});

test("errors, generators (full values, no diffs), logs and progress", async () => {
  const demo = new Interface({
    fn: async function* (s: string, ctx: any) {
      if (s === "boom") throw new AppError("kaboom");
      ctx.info("starting");
      ctx.progress(0.5, "half");
      let acc = "";
      for (const ch of s) {
        acc += ch;
        yield acc;
      }
    },
    inputs: "text",
    outputs: "text",
  });
  const app = await launch(demo);
  const s = await legacyJoin(app.url, 0);
  await sendData(s, ["abc"]);
  await s.next((f) => f["msg"] === "process_completed");
  const gen = s.frames.filter((f) => f["msg"] === "process_generating");
  assert.deepEqual(
    gen.map((f) => f["output"].data[0]),
    ["a", "ab", "abc"],
  );
  assert.deepEqual(
    s.frames.find((f) => f["msg"] === "log"),
    { msg: "log", log: "starting", level: "info" },
  );
  assert.equal(s.frames.find((f) => f["msg"] === "progress")?.["progress_data"][0].desc, "half");
  const e = await legacyJoin(app.url, 0);
  await sendData(e, ["boom"]);
  const failed = await e.next((f) => f["msg"] === "process_completed");
  assert.deepEqual(failed, { msg: "process_completed", output: { error: "kaboom" }, success: false });
});

test("inputs that do not come in time, or are invalid, end the event with an error and free the slot", async () => {
  const demo = new Interface({ fn: (a: string, n: number) => `${a}${n}`, inputs: ["text", "number"], outputs: "text" });
  const app = await launch(demo, { concurrencyCount: 1 }, { legacyInputsAt: "start", legacyDataTimeoutMs: 200 });
  const slow = await legacyJoin(app.url, 0);
  await slow.next((f) => f["msg"] === "send_data");
  const next = await legacyJoin(app.url, 0);
  const timedOut = await slow.next((f) => f["msg"] === "process_completed", 2000);
  assert.deepEqual(timedOut, {
    msg: "process_completed",
    output: { error: legacyDataTimeoutMessage("silent", 200) },
    success: false,
  });
  assert.equal((await slow.closed).code, 1000);
  const bad = next;
  await sendData(bad, [{ x: 1 }]);
  const invalid = await bad.next((f) => f["msg"] === "process_completed");
  assert.equal(invalid["success"], false);
  assert.equal(typeof invalid["output"].error, "string");
  // The slot is free again.
  const good = await legacyJoin(app.url, 0);
  await sendData(good, ["x", 2]);
  assert.deepEqual((await good.next((f) => f["msg"] === "process_completed"))["output"].data, ["x2"]);
});

test("two silent 3.x sockets holding both slots no longer hold a 200 ms job for 60 s (issue 14, item 4)", async () => {
  const demo = new Interface({
    fn: async (s: string) => {
      await sleep(200);
      return s;
    },
    inputs: "text",
    outputs: "text",
  });
  const app = await launch(demo, { concurrencyCount: 2 }, { legacyInputsAt: "start", legacyDataTimeoutMs: 500 });
  const silent = [await legacyJoin(app.url, 0, "mute1"), await legacyJoin(app.url, 0, "mute2")];
  for (const s of silent) await s.next((f) => f["msg"] === "send_data");
  const t0 = performance.now();
  const user = await legacyJoin(app.url, 0, "user");
  await sendData(user, ["mine"]);
  const done = await user.next((f) => f["msg"] === "process_completed", 10_000);
  const waitedMs = performance.now() - t0;
  assert.deepEqual(done["output"].data, ["mine"]);
  // 500 ms for the silent ones to lose their turn, 200 ms of work: well under a second, not 60 s.
  assert.ok(waitedMs < 3000, `waited ${Math.round(waitedMs)} ms`);
  for (const s of silent) {
    const lost = await s.next((f) => f["msg"] === "process_completed");
    assert.deepEqual(lost, {
      msg: "process_completed",
      output: { error: legacyDataTimeoutMessage("silent", 500) },
      success: false,
    });
    assert.equal((await s.closed).code, 1000);
  }
});

test("a large answer still arriving at a fair rate keeps its turn past legacyDataTimeoutMs; a trickle does not", async () => {
  const demo = new Interface({ fn: (s: string) => String(s.length), inputs: "text", outputs: "text" });
  const app = await launch(demo, { concurrencyCount: 1 }, { legacyInputsAt: "start", legacyDataTimeoutMs: 300 });
  const big = "x".repeat(160 * 1024);
  // 16 KiB every 60 ms (about 270 KiB/s, far above the 4 KiB/s floor): about 600 ms in all.
  const slow = await RawLegacySocket.open(app.url);
  await slow.next((f) => f["msg"] === "send_hash");
  slow.sendText(JSON.stringify({ fn_index: 0, session_hash: "slow" }));
  await slow.next((f) => f["msg"] === "send_data");
  const t0 = performance.now();
  await slow.sendTextSlowly(
    JSON.stringify({ data: [big], event_data: null, fn_index: 0, session_hash: "slow" }),
    16 * 1024,
    60,
  );
  const sentMs = performance.now() - t0;
  const done = await slow.next((f) => f["msg"] === "process_completed", 10_000);
  assert.deepEqual(
    [done["success"], done["output"].data],
    [true, [String(big.length)]],
    `sent over ${Math.round(sentMs)} ms`,
  );
  assert.ok(sentMs > 300, "the answer took longer than one silence period");
  // 8 bytes every 60 ms: alive, but far below the floor.
  const trickle = await RawLegacySocket.open(app.url);
  await trickle.next((f) => f["msg"] === "send_hash");
  trickle.sendText(JSON.stringify({ fn_index: 0, session_hash: "trickle" }));
  await trickle.next((f) => f["msg"] === "send_data");
  const sending = trickle.sendTextSlowly(
    JSON.stringify({ data: [big], event_data: null, fn_index: 0, session_hash: "trickle" }),
    8,
    60,
  );
  const lost = await trickle.next((f) => f["msg"] === "process_completed", 5000);
  trickle.stop();
  await sending;
  assert.deepEqual(lost["output"], { error: legacyDataTimeoutMessage("silent", 300) });
});

test("a socket that closes early takes its event out of the queue, or out of its slot", async () => {
  const { demo, open } = gatedEcho();
  const app = await launch(demo, { concurrencyCount: 1 }, { legacyInputsAt: "start" });
  const a = await legacyJoin(app.url, 0);
  await sendData(a, ["a"]);
  const b = await legacyJoin(app.url, 0);
  await b.next((f) => f["msg"] === "estimation");
  assert.equal(await app.engine.size(), 1);
  b.close();
  // At once: not after the grace period (5 s by default) of sockets that can come back.
  await waitFor(
    async () => (await app.engine.size()) === 0,
    5000,
    "the waiting event left at once (a 3.x socket cannot come back)",
  );
  open();
  await a.next((f) => f["msg"] === "process_completed");
  // An event whose socket goes while its inputs are asked for frees the slot.
  const c = await legacyJoin(app.url, 0);
  await c.next((f) => f["msg"] === "send_data");
  c.ws.terminate();
  // d gets the slot c held as soon as the server sees c go, not after legacyDataTimeoutMs (5 s).
  const d = await legacyJoin(app.url, 0);
  await d.next((f) => f["msg"] === "send_data", 2000);
  await sendData(d, ["d"]);
  assert.deepEqual((await d.next((f) => f["msg"] === "process_completed"))["output"].data, ["d"]);
});

test("a batch: each event sends its own inputs; one that never does is dropped and the others get their results", async () => {
  const g = gate();
  let calls = 0;
  const demo = new Interface({
    fn: async (xs: string[]) => {
      calls++;
      if (calls === 1) await g.wait;
      return [xs.map((x) => x.toUpperCase())];
    },
    inputs: "text",
    outputs: "text",
    batch: true,
    maxBatchSize: 4,
  });
  const app = await launch(demo, { concurrencyCount: 1 }, { legacyInputsAt: "start", legacyDataTimeoutMs: 300 });
  const first = await legacyJoin(app.url, 0);
  await sendData(first, ["first"]);
  await first.next((f) => f["msg"] === "process_starts");
  const sockets = [await legacyJoin(app.url, 0), await legacyJoin(app.url, 0), await legacyJoin(app.url, 0)];
  for (const s of sockets) await s.next((f) => f["msg"] === "estimation");
  g.open();
  await first.next((f) => f["msg"] === "process_completed");
  // All three start as one batch: each is asked for its inputs; the middle one never answers.
  await sendData(sockets[0]!, ["x"]);
  await sendData(sockets[2]!, ["z"]);
  await sockets[1]!.next((f) => f["msg"] === "send_data");
  const results = await Promise.all(sockets.map((s) => s.next((f) => f["msg"] === "process_completed", 3000)));
  assert.deepEqual(results[0]?.["output"].data, ["X"]);
  assert.deepEqual(results[1], {
    msg: "process_completed",
    output: { error: legacyDataTimeoutMessage("silent", 300) },
    success: false,
  });
  assert.deepEqual(results[2]?.["output"].data, ["Z"]);
  assert.equal(calls, 2, "one call for the batch");
});

test("bad frames: no hash in time, a bad hash, an unknown fn_index, binary, not JSON", async () => {
  const saved = { ...legacyTimeouts };
  legacyTimeouts.hashMs = 150;
  after(() => Object.assign(legacyTimeouts, saved));
  const app = await launch(new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text" }));
  const mute = new TestSocket(wsUrl(app.url, "/queue/join"));
  assert.equal((await mute.closed).code, 1008);
  const noHash = new TestSocket(wsUrl(app.url, "/queue/join"));
  await noHash.next((f) => f["msg"] === "send_hash");
  noHash.send({ fn_index: 0 });
  assert.equal((await noHash.next((f) => f["msg"] === "process_completed"))["success"], false);
  assert.equal((await noHash.closed).code, 1008);
  const unknown = await legacyJoin(app.url, 5);
  assert.deepEqual(await unknown.next((f) => f["msg"] === "process_completed"), {
    msg: "process_completed",
    output: { error: "No function with fn_index 5." },
    success: false,
  });
  const bin = new TestSocket(wsUrl(app.url, "/queue/join"));
  await bin.next((f) => f["msg"] === "send_hash");
  bin.ws.send(Buffer.from([0]));
  assert.equal((await bin.closed).code, 1003);
  const notJson = new TestSocket(wsUrl(app.url, "/queue/join"));
  await notJson.next((f) => f["msg"] === "send_hash");
  notJson.send("{{");
  assert.equal((await notJson.closed).code, 1007);
  const ok = await legacyJoin(app.url, 0);
  await sendData(ok, ["fine"]);
  assert.deepEqual((await ok.next((f) => f["msg"] === "process_completed"))["output"].data, ["fine"]);
});

test("root-level routes for 3.x clients: /info, /app_id, /run, /api, /reset, /queue/status, /upload; /gradio_api ones unchanged", async () => {
  const demo = new Interface({ fn: (s: string) => `${s}?`, inputs: "text", outputs: "text", apiName: "predict" });
  const app = await launch(demo, { apiOpen: true });
  const rootInfo = (await (await fetch(`${app.url}/info`)).json()) as Record<string, any>;
  const prefixed = (await (await fetch(`${app.url}/gradio_api/info`)).json()) as Record<string, any>;
  assert.deepEqual(rootInfo, prefixed);
  assert.ok(rootInfo["named_endpoints"]["/predict"]);
  assert.equal(
    ((await (await fetch(`${app.url}/app_id`)).json()) as any).app_id,
    ((await (await fetch(`${app.url}/gradio_api/app_id`)).json()) as any).app_id,
  );
  assert.deepEqual((await post(`${app.url}/run/predict`, { data: ["r"] })).json.data, ["r?"]);
  assert.deepEqual((await post(`${app.url}/api/predict`, { data: ["a"] })).json.data, ["a?"]);
  assert.deepEqual((await post(`${app.url}/gradio_api/run/predict`, { data: ["p"] })).json.data, ["p?"]);
  assert.equal((await post(`${app.url}/reset`, { session_hash: "x", fn_index: 0 })).status, 200);
  const status = (await (await fetch(`${app.url}/queue/status`)).json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(status), ESTIMATION_FIELDS);
  assert.equal(status["queue_size"], 0);
  const form = new FormData();
  form.append("files", new Blob(["hello"]), "a.txt");
  const uploaded = (await (await fetch(`${app.url}/upload`, { method: "POST", body: form })).json()) as string[];
  assert.equal(uploaded.length, 1);
  const served = await fetch(`${app.url}/file=${uploaded[0]}`);
  assert.equal(await served.text(), "hello");
  const config = (await (await fetch(`${app.url}/config`)).json()) as Record<string, any>;
  assert.equal(config["dependencies"][0].types.continuous, false);
  assert.equal(config["queue_ws"], "/gradio_api/queue/ws");
  assert.ok(Number(String(config["version"]).split(".")[0]) >= 4 || String(config["version"]) >= "3.30");
});

/**
 * A WebSocket client on a bare TCP connection, so that one frame can be sent a few bytes at a time
 * (the `ws` client writes a frame at once).
 */
class RawLegacySocket {
  readonly frames: Frame[] = [];
  readonly #sock: Socket;
  #buf = Buffer.alloc(0);
  #stopped = false;
  #waiters: (() => void)[] = [];

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.on("data", (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      this.#parse();
    });
    sock.on("error", () => undefined);
  }

  static open(appUrl: string): Promise<RawLegacySocket> {
    const { hostname, port } = new URL(appUrl);
    return new Promise((resolve, reject) => {
      const sock = connect(Number(port), hostname);
      sock.once("error", reject);
      sock.once("connect", () => {
        sock.write(
          `GET /queue/join HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        );
        let head = Buffer.alloc(0);
        const onHead = (chunk: Buffer): void => {
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf("\r\n\r\n");
          if (end < 0) return;
          sock.off("data", onHead);
          if (!head.subarray(0, end).toString().startsWith("HTTP/1.1 101")) return reject(new Error(head.toString()));
          const raw = new RawLegacySocket(sock);
          raw.#buf = head.subarray(end + 4);
          raw.#parse();
          resolve(raw);
        };
        sock.on("data", onHead);
      });
    });
  }

  /** Server frames are unmasked; only text frames are kept. */
  #parse(): void {
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      let len = (b[1] as number) & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + len) return;
      if (((b[0] as number) & 0x0f) === 1) this.frames.push(JSON.parse(b.subarray(at, at + len).toString()) as Frame);
      this.#buf = b.subarray(at + len);
      for (const w of this.#waiters.splice(0)) w();
    }
  }

  async next(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const f = this.frames.find(pred);
      if (f !== undefined) return f;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** One masked text frame (a zero mask: the payload goes as is). */
  #frame(text: string): Buffer {
    const payload = Buffer.from(text);
    const n = payload.length;
    const head = n < 126 ? Buffer.from([0x81, 0x80 | n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (n >= 126 && n < 65536) {
      head[0] = 0x81;
      head[1] = 0x80 | 126;
      head.writeUInt16BE(n, 2);
    } else if (n >= 65536) {
      head[0] = 0x81;
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(BigInt(n), 2);
    }
    return Buffer.concat([head, Buffer.alloc(4), payload]);
  }

  sendText(text: string): void {
    this.#sock.write(this.#frame(text));
  }

  /** Sends one frame `chunkBytes` at a time, one chunk every `everyMs`, until done or {@link stop}. */
  async sendTextSlowly(text: string, chunkBytes: number, everyMs: number): Promise<void> {
    const bytes = this.#frame(text);
    for (let i = 0; i < bytes.length && !this.#stopped && !this.#sock.destroyed; i += chunkBytes) {
      this.#sock.write(bytes.subarray(i, i + chunkBytes));
      await sleep(everyMs);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#sock.destroy();
  }
}
