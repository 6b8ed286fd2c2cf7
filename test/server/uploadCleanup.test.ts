/**
 * A refused upload leaves nothing behind (issue 14, item 5): over `maxFileSize`, over the file
 * count, malformed, or cut off by the client, every file the request wrote is gone by the time
 * the answer comes (or, for an abort, at once), on the local store and on the Redis one.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { makeRedisStore, rawRedis } from "../helpers/redis.ts";

const MAX_FILE_SIZE = 1024;

const demo = () => new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text" });

async function launchWithCache(queue: Parameters<typeof launch>[1] = {}) {
  const cacheDir = await mkdtemp(join(tmpdir(), "usher-upload-"));
  const app = await launch(demo(), queue, { cacheDir, maxFileSize: MAX_FILE_SIZE });
  return { app, uploads: () => entries(join(cacheDir, "uploads")) };
}

/** Every file and folder under `dir` (none when it does not exist). */
async function entries(dir: string): Promise<string[]> {
  let list;
  try {
    list = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of list) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await entries(p)));
  }
  return out;
}

function form(files: { name: string; bytes: number }[]): FormData {
  const f = new FormData();
  for (const { name, bytes } of files) f.append("files", new Blob([Buffer.alloc(bytes, 97)]), name);
  return f;
}

async function upload(
  url: string,
  body: FormData | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/gradio_api/upload`, { method: "POST", body, headers });
  return { status: res.status, json: await res.json() };
}

test("a good upload keeps its files; one over maxFileSize gets 413 and keeps none, the request's earlier files included", async () => {
  const { app, uploads } = await launchWithCache();
  const ok = await upload(
    app.url,
    form([
      { name: "a.txt", bytes: 10 },
      { name: "b.txt", bytes: MAX_FILE_SIZE },
    ]),
  );
  assert.equal(ok.status, 200);
  assert.equal(ok.json.length, 2);
  const kept = await uploads();
  assert.equal(kept.length, 4, "two folders, two files");

  const alone = await upload(app.url, form([{ name: "big.bin", bytes: 100 * MAX_FILE_SIZE }]));
  assert.equal(alone.status, 413);
  assert.deepEqual(alone.json, {
    detail: `File too large: the limit is ${MAX_FILE_SIZE} bytes per file; nothing was kept.`,
  });
  assert.deepEqual(await uploads(), kept, "no truncated file left");

  const mixed = await upload(
    app.url,
    form([
      { name: "x.txt", bytes: 5 },
      { name: "y.txt", bytes: 6 },
      { name: "big.bin", bytes: MAX_FILE_SIZE + 1 },
    ]),
  );
  assert.equal(mixed.status, 413);
  assert.deepEqual(await uploads(), kept, "the request's good files went too");
});

test("1001 files: 413 that says so, and none of the first 1000 is kept", async () => {
  const { app, uploads } = await launchWithCache();
  const files = Array.from({ length: 1001 }, (_, i) => ({ name: `f${i}.txt`, bytes: 3 }));
  const r = await upload(app.url, form(files));
  assert.equal(r.status, 413);
  assert.match(r.json.detail, /Too many files: at most 1000 per request/);
  assert.deepEqual(await uploads(), []);
  // 1000 is allowed.
  const fine = await upload(app.url, form(files.slice(0, 1000)));
  assert.equal(fine.status, 200);
  assert.equal(fine.json.length, 1000);
});

test("a malformed body (cut short after a whole file) gets 400 and keeps nothing; not multipart gets 415", async () => {
  const { app, uploads } = await launchWithCache();
  const b = "----usher";
  const body =
    `--${b}\r\ncontent-disposition: form-data; name="files"; filename="a.txt"\r\ncontent-type: text/plain\r\n\r\nhello\r\n` +
    `--${b}\r\ncontent-disposition: form-data; name="files"; filename="b.txt"\r\ncontent-type: text/plain\r\n\r\nhal`;
  const r = await upload(app.url, body, { "content-type": `multipart/form-data; boundary=${b}` });
  assert.equal(r.status, 400);
  assert.equal(r.json.detail, "The multipart body is malformed or incomplete.");
  assert.deepEqual(await uploads(), []);
  const notMultipart = await upload(app.url, "{}", { "content-type": "application/json" });
  assert.equal(notMultipart.status, 415);
  assert.deepEqual(await uploads(), []);
});

test("a client that aborts mid-body leaves nothing behind", async () => {
  const { app, uploads } = await launchWithCache();
  const u = new URL(app.url);
  const b = "----usher";
  const first = `--${b}\r\ncontent-disposition: form-data; name="files"; filename="a.txt"\r\n\r\nhello\r\n`;
  const second = `--${b}\r\ncontent-disposition: form-data; name="files"; filename="b.txt"\r\n\r\n${"x".repeat(500)}`;
  const sock = connect(Number(u.port), u.hostname);
  sock.on("error", () => undefined);
  await new Promise<void>((r) => sock.once("connect", () => r()));
  sock.write(
    `POST /gradio_api/upload HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: multipart/form-data; boundary=${b}\r\ncontent-length: 100000\r\n\r\n${first}${second}`,
  );
  // Both files are on disk (the first whole, the second in progress) before the client goes.
  await until(async () => (await uploads()).length >= 4, "both uploads started");
  sock.destroy();
  await until(async () => (await uploads()).length === 0, "every file of the aborted request removed");
});

test("with the Redis store, a refused upload removes its local files and its shared copies", async () => {
  const store = await makeRedisStore();
  const { app, uploads } = await launchWithCache({ store });
  const redis = rawRedis();
  const sharedFiles = async (): Promise<number> => {
    let n = 0;
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${store.keyPrefix}file:uploads/*`, "COUNT", 1000);
      cursor = next;
      n += keys.length;
    } while (cursor !== "0");
    return n;
  };
  const ok = await upload(app.url, form([{ name: "a.txt", bytes: 10 }]));
  assert.equal(ok.status, 200);
  assert.equal(await sharedFiles(), 1);
  const kept = await uploads();
  const r = await upload(
    app.url,
    form([
      { name: "x.txt", bytes: 5 },
      { name: "y.txt", bytes: 6 },
      { name: "big.bin", bytes: 10 * MAX_FILE_SIZE },
    ]),
  );
  assert.equal(r.status, 413);
  assert.deepEqual(await uploads(), kept);
  assert.equal(await sharedFiles(), 1, "only the good upload's shared copy is left");
});

async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  await waitFor(cond, timeoutMs, what);
}
