/**
 * A slow reader cannot grow server memory without bound: on the queue socket, the 3.x socket and
 * SSE alike, generator chunks the reader cannot take in time are coalesced (the latest value
 * wins), and the final value still arrives whole.
 */
import assert from "node:assert/strict";
import { get } from "node:http";
import { setImmediate as tick } from "node:timers/promises";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { launch, post } from "../helpers/launch.ts";
import { completed, join, queueSocket, TestSocket, wsUrl } from "../helpers/wsClient.ts";

/** Chunks the generator yields, and their size: 2000 × 50 kB = 100 MB if nothing were coalesced. */
const CHUNKS = 2000;
const CHUNK_BYTES = 50_000;

/** Each chunk differs from the last at its start, so a diff is a full replace (no small appends). */
function chunk(i: number): string {
  return String(i).padStart(6, "0") + "y".repeat(CHUNK_BYTES);
}

/** The app, and a promise of the generator's end: the reader does not read until then. */
function floodApp(): { demo: Interface; produced: Promise<void> } {
  let done!: () => void;
  const produced = new Promise<void>((r) => (done = r));
  const demo = new Interface({
    fn: async function* () {
      for (let i = 0; i < CHUNKS; i++) {
        yield chunk(i);
        await tick();
      }
      done();
    },
    inputs: [],
    outputs: "text",
    apiName: "flood",
  });
  return { demo, produced };
}

test("queue socket: a reader that stops reading gets coalesced chunks and the whole last value", async (t) => {
  const { demo, produced } = floodApp();
  const app = await launch(demo);
  const s = await queueSocket(app.url, "slow");
  let bytes = 0;
  s.ws.on("message", (d: Buffer) => (bytes += d.length));
  const id = (await join(s, 1, 0, []))["event_id"];
  s.ws.pause();
  await produced;
  s.ws.resume();
  const done = await completed(s, id, 20_000);
  assert.equal(done["output"].data[0], chunk(CHUNKS - 1));
  const generating = s.of(id).filter((f) => f["msg"] === "process_generating").length;
  t.diagnostic(`${generating} of ${CHUNKS} chunks, ${bytes} bytes reached the reader`);
  assert.ok(generating < CHUNKS / 2, `${generating} of ${CHUNKS} chunks went out: nothing was coalesced`);
  assert.ok(bytes < (CHUNKS * CHUNK_BYTES) / 3, `${bytes} bytes reached the reader`);
  s.close();
});

test("3.x socket: the same bound for a per-event socket", async (t) => {
  const { demo, produced } = floodApp();
  const app = await launch(demo);
  const s = new TestSocket(wsUrl(app.url, "/queue/join"));
  let bytes = 0;
  s.ws.on("message", (d: Buffer) => (bytes += d.length));
  await s.next((f) => f["msg"] === "send_hash");
  s.send({ fn_index: 0, session_hash: "slow3" });
  await s.next((f) => f["msg"] === "send_data");
  s.send({ data: [], event_data: null, fn_index: 0, session_hash: "slow3" });
  await s.next((f) => f["msg"] === "process_starts");
  s.ws.pause();
  await produced;
  s.ws.resume();
  const done = await s.next((f) => f["msg"] === "process_completed", 20_000);
  assert.equal(done["output"].data[0], chunk(CHUNKS - 1));
  const generating = s.frames.filter((f) => f["msg"] === "process_generating").length;
  t.diagnostic(`${generating} of ${CHUNKS} chunks, ${bytes} bytes reached the reader`);
  assert.ok(generating < CHUNKS / 2, `${generating} of ${CHUNKS} chunks went out`);
  assert.ok(bytes < (CHUNKS * CHUNK_BYTES) / 3, `${bytes} bytes reached the reader`);
  assert.equal((await s.closed).code, 1000);
});

test("SSE: the same bound for /queue/data", async (t) => {
  const { demo, produced } = floodApp();
  const app = await launch(demo);
  const joined = await post(`${app.url}/gradio_api/queue/join`, { data: [], fn_index: 0, session_hash: "slowsse" });
  assert.equal(joined.status, 200);
  const text = await new Promise<string>((resolve, reject) => {
    get(`${app.url}/gradio_api/queue/data?session_hash=slowsse`, (res) => {
      res.pause();
      const parts: Buffer[] = [];
      res.on("data", (b: Buffer) => parts.push(b));
      res.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
      res.on("error", reject);
      void produced.then(() => res.resume());
    }).on("error", reject);
  });
  const messages = text
    .split("\n\n")
    .filter((b) => b.startsWith("data: "))
    .map((b) => JSON.parse(b.slice(6)) as Record<string, any>);
  const done = messages.find((m) => m["msg"] === "process_completed");
  assert.equal(done?.["output"].data[0], chunk(CHUNKS - 1));
  const generating = messages.filter((m) => m["msg"] === "process_generating").length;
  t.diagnostic(`${generating} of ${CHUNKS} chunks, ${text.length} bytes reached the reader`);
  assert.ok(generating < CHUNKS / 2, `${generating} of ${CHUNKS} chunks went out`);
  assert.ok(text.length < (CHUNKS * CHUNK_BYTES) / 3, `${text.length} bytes reached the reader`);
  assert.equal(messages.at(-1)?.["msg"], "close_stream");
});
