/**
 * The page's assets through @fastify/static (issue 18, item 5): only the files that exist at
 * startup, each with the type of the one MIME table, a year's immutable cache, `nosniff`,
 * validators (304) and ranges; anything else, traversal included, is the JSON 404.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import Fastify from "fastify";
import { pageRoutes } from "../../src/server/routes/pageRoutes.ts";
import type { ServerContext } from "../../src/server/ServerContext.ts";

const ASSETS: Record<string, string> = {
  "index-3f2a.js": "text/javascript; charset=utf-8",
  "index-9c1b.css": "text/css; charset=utf-8",
  "logo-77aa.svg": "image/svg+xml",
  "icon-01.png": "image/png",
  "font-5e.woff2": "font/woff2",
  "index-3f2a.js.map": "application/json; charset=utf-8",
};

async function serve(): Promise<{ url: string; dist: string }> {
  const dist = await mkdtemp(join(tmpdir(), "usher-dist-"));
  await mkdir(join(dist, "assets"));
  await writeFile(
    join(dist, "index.html"),
    '<!doctype html><script type="module" src="./assets/index-3f2a.js"></script>',
  );
  for (const name of Object.keys(ASSETS)) await writeFile(join(dist, "assets", name), `content of ${name}`);
  await writeFile(join(dist, "secret.txt"), "not an asset");
  const server = Fastify();
  server.setNotFoundHandler((_req, reply) => reply.code(404).send({ detail: "Not Found" }));
  const ctx = { options: { rootPath: "" }, rootOf: () => "http://127.0.0.1" } as unknown as ServerContext;
  await pageRoutes(server, ctx, dist);
  after(() => server.close());
  return { url: await server.listen({ port: 0, host: "127.0.0.1" }), dist };
}

test("each asset: its type from the MIME table, immutable for a year, nosniff", async () => {
  const { url } = await serve();
  const page = await fetch(`${url}/`);
  assert.match(await page.text(), /src="\/assets\/index-3f2a\.js"/);
  for (const [name, type] of Object.entries(ASSETS)) {
    const res = await fetch(`${url}/assets/${name}`);
    assert.equal(res.status, 200, name);
    assert.equal(await res.text(), `content of ${name}`);
    assert.equal(res.headers.get("content-type"), type, name);
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable", name);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", name);
  }
});

test("assets answer 304 to their ETag and Last-Modified, and 206 to a range", async () => {
  const { url } = await serve();
  const asset = `${url}/assets/index-3f2a.js`;
  const first = await fetch(asset);
  await first.arrayBuffer();
  const headers = { "cache-control": "max-age=0" };
  const byTag = await fetch(asset, { headers: { ...headers, "if-none-match": first.headers.get("etag") ?? "" } });
  assert.equal(byTag.status, 304);
  const byDate = await fetch(asset, {
    headers: { ...headers, "if-modified-since": first.headers.get("last-modified") ?? "" },
  });
  assert.equal(byDate.status, 304);
  const part = await fetch(asset, { headers: { range: "bytes=0-6" } });
  assert.equal(part.status, 206);
  assert.equal(await part.text(), "content");
});

test("only the files there at startup: unknown names, later files and traversal get the JSON 404", async () => {
  const { url, dist } = await serve();
  await writeFile(join(dist, "assets", "late.js"), "written after startup");
  for (const path of [
    "/assets/nope.js",
    "/assets/late.js",
    "/assets/..%2Fsecret.txt",
    "/assets/../secret.txt",
    "/assets/%2e%2e/secret.txt",
    "/assets/",
  ]) {
    const res = await fetch(`${url}${path}`);
    assert.equal(res.status, 404, path);
    assert.deepEqual(await res.json(), { detail: "Not Found" }, path);
  }
});
