/**
 * `/file=` through @fastify/static (issue 18, item 5): ranges (206, 416) so that audio and video
 * can be seeked, validators (304 on ETag and on Last-Modified), `nosniff` on every file, uploaded
 * HTML and SVG downloaded instead of run in the app's origin, and the one MIME table: what a file
 * is served as is what the components call it.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { mimeFromName } from "../../src/mimeTypes.ts";
import { launch } from "../helpers/launch.ts";

const demo = new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text" });

const BODY = "0123456789abcdefghij";

async function start() {
  const cacheDir = await mkdtemp(join(tmpdir(), "usher-files-"));
  return launch(demo, {}, { cacheDir });
}

/** Uploads one file and returns its `/file=` URL under `/gradio_api`. */
async function upload(appUrl: string, name: string, body: string | Uint8Array = BODY): Promise<string> {
  const form = new FormData();
  form.append("files", new Blob([body]), name);
  const res = await fetch(`${appUrl}/gradio_api/upload`, { method: "POST", body: form });
  assert.equal(res.status, 200);
  const [path] = (await res.json()) as string[];
  return `${appUrl}/gradio_api/file=${path}`;
}

test("a Range request gets 206 with Content-Range; one past the end gets 416 with bytes */size and JSON", async () => {
  const app = await start();
  const url = await upload(app.url, "clip.wav");
  const full = await fetch(url);
  assert.equal(full.status, 200);
  assert.equal(full.headers.get("accept-ranges"), "bytes");
  assert.equal(await full.text(), BODY);

  const part = await fetch(url, { headers: { range: "bytes=5-9" } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), `bytes 5-9/${BODY.length}`);
  assert.equal(part.headers.get("content-length"), "5");
  assert.equal(await part.text(), "56789");
  const tail = await fetch(url, { headers: { range: "bytes=-3" } });
  assert.equal(tail.status, 206);
  assert.equal(await tail.text(), "hij");

  const beyond = await fetch(url, { headers: { range: `bytes=${BODY.length + 10}-` } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get("content-range"), `bytes */${BODY.length}`);
  assert.ok("detail" in ((await beyond.json()) as object));
});

test("304 on If-None-Match with the ETag and on If-Modified-Since with Last-Modified; a changed validator gets 200", async () => {
  const app = await start();
  const url = await upload(app.url, "photo.png");
  const first = await fetch(url);
  await first.arrayBuffer();
  const etag = first.headers.get("etag");
  const lastModified = first.headers.get("last-modified");
  assert.ok(etag !== null && lastModified !== null);

  // As a browser revalidates (fetch would add `no-cache` to a bare conditional request).
  const revalidate = (h: Record<string, string>) => fetch(url, { headers: { "cache-control": "max-age=0", ...h } });
  const byTag = await revalidate({ "if-none-match": etag });
  assert.equal(byTag.status, 304);
  assert.equal(await byTag.text(), "");
  const byDate = await revalidate({ "if-modified-since": lastModified });
  assert.equal(byDate.status, 304);
  // Without Cache-Control a fetch asks for a fresh copy, and gets it.
  const fresh = await fetch(url, { headers: { "if-none-match": etag } });
  assert.equal(fresh.status, 200);
  assert.equal(await fresh.text(), BODY);

  const otherTag = await revalidate({ "if-none-match": 'W/"other"' });
  assert.equal(otherTag.status, 200);
  assert.equal(await otherTag.text(), BODY);
  const older = await revalidate({ "if-modified-since": new Date(0).toUTCString() });
  assert.equal(older.status, 200);
  await older.arrayBuffer();
});

test("every served file has nosniff and the sandbox CSP; uploaded HTML and SVG download, images and media show inline", async () => {
  const app = await start();
  const page = "<script>document.title = 'pwned'</script>";
  for (const [name, inline] of [
    ["evil.html", false],
    ["evil.htm", false],
    ["evil.svg", false],
    ["evil.xhtml", false],
    ["evil.js", false],
    ["noextension", false],
    ["photo.png", true],
    ["voice.mp3", true],
    ["movie.mp4", true],
    ["notes.txt", true],
  ] as const) {
    const url = await upload(app.url, name, page);
    for (const u of [url, url.replace("/gradio_api/file=", "/file="), url.replace("/gradio_api/file=", "/file/")]) {
      const res = await fetch(u);
      assert.equal(res.status, 200, u);
      assert.equal(await res.text(), page);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", name);
      assert.equal(res.headers.get("content-security-policy"), "sandbox", name);
      assert.equal(res.headers.get("cache-control"), "private, max-age=3600", name);
      const disposition = res.headers.get("content-disposition") ?? "";
      assert.match(disposition, inline ? /^inline; filename="/ : /^attachment; filename="/, name);
      assert.ok(disposition.includes(name), disposition);
    }
  }
});

test("one MIME table: a file is served with the type the components give its name", async () => {
  const app = await start();
  const expected: Record<string, string> = {
    "a.wav": "audio/wav",
    "a.mp3": "audio/mpeg",
    "a.flac": "audio/flac",
    "a.ogg": "audio/ogg",
    "a.mp4": "video/mp4",
    "a.webm": "video/webm",
    "a.png": "image/png",
    "a.jpg": "image/jpeg",
    "a.webp": "image/webp",
    "a.svg": "image/svg+xml",
    "a.json": "application/json",
    "a.pdf": "application/pdf",
    "a.csv": "text/csv",
    "a.html": "text/html",
  };
  for (const [name, type] of Object.entries(expected)) {
    assert.equal(mimeFromName(name), type, name);
    const res = await fetch(await upload(app.url, name));
    await res.arrayBuffer();
    const served = res.headers.get("content-type") ?? "";
    assert.equal(served.split(";")[0], type, name);
    // Text is sent as UTF-8 and says so.
    if (type.startsWith("text/") || type === "application/json") assert.match(served, /; charset=utf-8$/, name);
  }
  const unknown = await fetch(await upload(app.url, "weights.unknownext"));
  await unknown.arrayBuffer();
  assert.equal(unknown.headers.get("content-type"), "application/octet-stream");
});

test("HEAD answers the headers of GET without a body; file names with spaces, %, # and non-ASCII are served", async () => {
  const app = await start();
  const url = await upload(app.url, "clip.wav");
  const head = await fetch(url, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String(BODY.length));
  assert.equal(head.headers.get("content-type"), "audio/wav");
  assert.equal(await head.text(), "");
  for (const name of ["my file (1).txt", "100%.txt", "a#b.txt", "a?b.txt", "ünïcødé 名前.txt", ".hidden.txt"]) {
    const form = new FormData();
    form.append("files", new Blob([BODY]), name);
    const [path] = (await (
      await fetch(`${app.url}/gradio_api/upload`, { method: "POST", body: form })
    ).json()) as string[];
    const res = await fetch(`${app.url}/gradio_api/file=${encodeURIComponent(path!)}`);
    assert.equal(res.status, 200, name);
    assert.equal(await res.text(), BODY, name);
  }
});
