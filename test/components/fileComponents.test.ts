import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Audio, File, Image, type UploadedFile } from "../../src/app/index.ts";
import type { ProcessContext } from "../../src/components/Component.ts";
import { sniffMime } from "../../src/mimeTypes.ts";
import { isUsherError } from "../../src/errors.ts";
import { samplePath } from "../../src/samples.ts";
import { ROOT_URL, tempEnv } from "../app/helpers.ts";

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
const WAV = Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(4), Buffer.from("WAVEfmt ")]);

let ctx: ProcessContext;
let dir: string;
let cleanup: () => Promise<void>;
let uploaded: string;

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts;
}

before(async () => {
  const t = await tempEnv();
  ctx = { files: t.files, rootUrl: ROOT_URL };
  dir = t.dir;
  cleanup = t.cleanup;
  uploaded = await t.files.saveUpload(chunks(PNG), "cat.png", null);
});
after(() => cleanup());

describe("file inputs", () => {
  test("FileData from /upload becomes an UploadedFile", async () => {
    const f = (await new Image().preprocess(
      { path: uploaded, orig_name: "kitty.png", meta: { _type: "gradio.FileData" } },
      ctx,
    )) as UploadedFile;
    assert.equal(f.name, "kitty.png");
    assert.equal(f.size, PNG.length);
    assert.equal(f.mimeType, "image/png");
    assert.deepEqual(await f.read(), PNG);
    assert.ok(f.path.endsWith("cat.png"));
  });

  test("type filepath gives the path, buffer the bytes", async () => {
    const path = await new Image({ type: "filepath" }).preprocess({ path: uploaded }, ctx);
    assert.equal(typeof path, "string");
    assert.deepEqual(await new Audio({ type: "buffer" }).preprocess({ path: uploaded }, ctx), PNG);
    assert.equal(await new Image().preprocess(null, ctx), null);
  });

  test("a path outside the store is refused", async () => {
    const outside = join(dir, "secret.txt");
    await writeFile(outside, "secret");
    await assert.rejects(
      new File().preprocess({ path: outside }, ctx),
      (e) => isUsherError(e, "VALIDATION") && /not accessible/.test(e.message),
    );
    await assert.rejects(new File().preprocess({ path: "/etc/passwd" }, ctx), (e) => isUsherError(e, "VALIDATION"));
    await assert.rejects(new File().preprocess({ path: `${uploaded}/../../../secret.txt` }, ctx), (e) =>
      isUsherError(e, "VALIDATION"),
    );
  });

  test("remote URLs are refused", async () => {
    await assert.rejects(
      new Image().preprocess({ path: "https://example.com/a.png", url: "https://example.com/a.png" }, ctx),
      (e) => isUsherError(e, "VALIDATION"),
    );
  });

  test("a URL of this server's own file route is read as the path it names, and checked like one", async () => {
    const own = (path: string) => `${ROOT_URL}/gradio_api/file=${path.split("/").map(encodeURIComponent).join("/")}`;
    const f = (await new Image().preprocess({ path: own(uploaded), url: own(uploaded) }, ctx)) as UploadedFile;
    assert.deepEqual(await f.read(), PNG);
    const sample = (await new Image().preprocess(`${ROOT_URL}/file=${samplePath("image.png")}`, ctx)) as UploadedFile;
    assert.equal(sample.name, "image.png");
    await assert.rejects(new Image().preprocess(own("/etc/passwd"), ctx), (e) => isUsherError(e, "VALIDATION"));
    // Another origin's file route is a remote URL.
    await assert.rejects(
      new Image().preprocess(`http://127.0.0.2:7860/gradio_api/file=${uploaded}`, ctx),
      (e) => isUsherError(e, "VALIDATION") && /Remote URLs/.test(e.message),
    );
  });

  test("a base64 data URL (older clients) is stored as an upload", async () => {
    const dataUrl = `data:image/png;base64,${PNG.toString("base64")}`;
    const f = (await new Image().preprocess(dataUrl, ctx)) as UploadedFile;
    assert.equal(f.name, "image.png");
    assert.equal(f.mimeType, "image/png");
    assert.deepEqual(await f.read(), PNG);
    const legacy = (await new File().preprocess(
      { name: "x.bin", data: `data:application/octet-stream;base64,AAEC`, is_file: false },
      ctx,
    )) as UploadedFile;
    assert.equal(legacy.name, "x.bin");
    assert.deepEqual(await legacy.read(), Buffer.from([0, 1, 2]));
  });

  test("validate is cheap and shape-only", () => {
    const img = new Image();
    assert.equal(img.validate({ path: "/x", meta: { _type: "gradio.FileData" } }), null);
    assert.equal(img.validate(null), null);
    assert.match(img.validate(5) ?? "", /Expected a file/);
    const many = new File({ fileCount: "multiple" });
    assert.equal(many.validate([{ path: "/a" }, { path: "/b" }]), null);
    assert.match(many.validate([{ path: "/a" }, 3]) ?? "", /list of files/);
  });

  test("fileTypes refuses other files", async () => {
    await assert.rejects(
      new File({ fileTypes: [".pdf"] }).preprocess({ path: uploaded }, ctx),
      (e) => isUsherError(e, "VALIDATION") && /Invalid file type/.test(e.message),
    );
    const ok = (await new File({ fileTypes: ["image"] }).preprocess({ path: uploaded }, ctx)) as UploadedFile;
    assert.equal(ok.name, "cat.png");
  });

  test("multiple files give a list", async () => {
    const list = await new File({ fileCount: "multiple", type: "filepath" }).preprocess(
      [{ path: uploaded }, { path: uploaded }],
      ctx,
    );
    assert.equal(list.length, 2);
    assert.deepEqual(await new File({ fileCount: "multiple" }).preprocess(null, ctx), []);
  });
});

describe("file outputs", () => {
  test("a Buffer is stored with a sniffed name and described with a URL", async () => {
    const fd = (await new Image().postprocess(PNG, ctx)) as Record<string, unknown>;
    assert.equal(fd["orig_name"], "image.png");
    assert.equal(fd["mime_type"], "image/png");
    assert.equal(fd["size"], PNG.length);
    assert.equal(fd["is_stream"], false);
    assert.deepEqual(fd["meta"], { _type: "gradio.FileData" });
    assert.equal(fd["url"], `${ROOT_URL}/gradio_api/file=${fd["path"]}`);
    assert.deepEqual(await readFile(fd["path"] as string), PNG);
    const wav = (await new Audio().postprocess(WAV, ctx)) as Record<string, unknown>;
    assert.equal(wav["orig_name"], "audio.wav");
  });

  test("a path is imported into the store", async () => {
    const src = join(dir, "made", "result.txt");
    await mkdir(join(dir, "made"), { recursive: true });
    await writeFile(src, "hello");
    const fd = (await new File().postprocess(src, ctx)) as Record<string, unknown>;
    assert.notEqual(fd["path"], src);
    assert.equal(fd["orig_name"], "result.txt");
    assert.equal(fd["mime_type"], "text/plain");
    assert.equal(fd["size"], 5);
    assert.equal(await ctx.files.resolveReadable(fd["path"] as string), fd["path"]);
  });

  test("{ data, name, mimeType } and { path } objects", async () => {
    const fd = (await new File().postprocess({ data: Buffer.from("a,b"), name: "t.csv" }, ctx)) as Record<
      string,
      unknown
    >;
    assert.equal(fd["orig_name"], "t.csv");
    assert.equal(fd["mime_type"], "text/csv");
    const input = (await new Image().preprocess({ path: uploaded }, ctx)) as UploadedFile;
    const echoed = (await new Image().postprocess(input, ctx)) as Record<string, unknown>;
    assert.equal(echoed["path"], input.path); // already in the store: not copied
  });

  test("a missing file or a wrong value is an output error", async () => {
    await assert.rejects(Promise.resolve(new File().postprocess(join(dir, "nope.txt"), ctx)), (e) =>
      isUsherError(e, "OUTPUT_SHAPE"),
    );
    await assert.rejects(Promise.resolve(new File().postprocess(42, ctx)), (e) => isUsherError(e, "OUTPUT_SHAPE"));
  });

  test("multiple outputs and api info", async () => {
    const list = (await new File({ fileCount: "multiple" }).postprocess([PNG, WAV], ctx)) as Record<string, unknown>[];
    assert.deepEqual(
      list.map((f) => f["orig_name"]),
      ["file.png", "file.wav"],
    );
    assert.equal(new Image().describeApi(true).python_type.type, "filepath");
    assert.equal(new File({ fileCount: "multiple" }).describeApi(true).python_type.type, "list[filepath]");
    // The API page's example is a bundled sample every store serves: snippets run offline.
    const example = new Image().describeApi(true).example_input as Record<string, unknown>;
    assert.deepEqual(example, {
      path: samplePath("image.png"),
      meta: { _type: "gradio.FileData" },
      orig_name: "image.png",
    });
    assert.notEqual(await ctx.files.resolveReadable(String(example["path"])), null);
    assert.equal(sniffMime(await readFile(samplePath("image.png"))), "image/png");
    assert.equal(sniffMime(await readFile(samplePath("audio.wav"))), "audio/wav");
    assert.equal((new Audio().describeApi(true).example_input as { path: string }).path, samplePath("audio.wav"));
  });
});
