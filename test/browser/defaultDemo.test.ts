/**
 * The default demo (`npm start`, examples/identity.ts) in a browser: the page is small and
 * self-contained, its "Use via API" view shows snippets that work as shown (the JS one is run
 * with node, the curl one with bash), and the suite saves the screenshot the README shows.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { after, test } from "node:test";
import { snippetsFor, type EndpointInfo } from "../../ui/src/api/snippets.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually, valueOf } from "./helpers.ts";

const run = promisify(execFile);
const ROOT = process.cwd();
/** Most gzipped JavaScript the default demo's page may load. */
const JS_BUDGET = 150 * 1024;

/** Starts examples/identity.ts exactly as `npm start` does (port 0) and returns its URL. */
async function startDefaultDemo(): Promise<string> {
  const child = spawn(process.execPath, ["--conditions=usher-source", "--import", "tsx", "examples/identity.ts"], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  after(() => {
    child.kill("SIGTERM");
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const m = /Running on local URL:\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`examples/identity.ts exited with ${code}: ${out}`)));
  });
}

const browser = await launchBrowser();
const url = await startDefaultDemo();

test("the default demo's page: under 150 KB of gzipped JS, nothing from outside, works, screenshot", async () => {
  const page = await browser.newPage();
  await page.setViewportSize({ width: 1000, height: 360 });
  const scripts: Buffer[] = [];
  page.on("response", async (r) => {
    if (r.request().resourceType() === "script") scripts.push(await r.body());
  });
  await page.goto(`${url}/`, { waitUntil: "networkidle" });
  const gzipped = scripts.reduce((n, body) => n + gzipSync(body, { level: 9 }).length, 0);
  assert.ok(scripts.length > 0);
  assert.ok(gzipped < JS_BUDGET, `page JS is ${gzipped} bytes gzipped`);
  console.log(`# default demo page: ${scripts.length} script(s), ${(gzipped / 1024).toFixed(1)} KB of JS gzipped`);

  // The example fills the input; Submit shows the echo.
  await page.getByTestId("example").first().click();
  await eventually(async () => assert.equal(await valueOf(page, "text"), "Hello, world!"));
  await page.getByRole("button", { name: "Submit" }).click();
  await eventually(async () => assert.equal(await valueOf(page, "output"), "Hello, world!"));
  assert.deepEqual(browser.external, [], "no request left 127.0.0.1");
  mkdirSync("docs", { recursive: true });
  await page.screenshot({ path: "docs/screenshot.png", fullPage: true });
  await page.close();
});

test("the API view shows each endpoint, and its JS and curl snippets work as shown", async () => {
  const page = await browser.newPage();
  await page.goto(`${url}/`);
  // The footer link opens the view (and /?view=api reaches it directly).
  await page.getByRole("link", { name: "Use via API" }).click();
  await page.getByRole("heading", { name: "Use via API" }).waitFor();
  assert.equal(new URL(page.url()).searchParams.get("view"), "api");
  const endpoint = page.getByTestId("endpoint");
  // The heading renders before /info answers: wait for the endpoints themselves before counting.
  await endpoint.first().waitFor();
  assert.equal(await endpoint.count(), 1);
  assert.equal(await endpoint.getAttribute("data-endpoint"), "/predict");

  const info = (await (await fetch(`${url}/gradio_api/info`)).json()) as {
    named_endpoints: Record<string, EndpointInfo>;
  };
  const expected = snippetsFor(url, "/predict", info.named_endpoints["/predict"]!);

  const js = await page.getByTestId("snippet-js").textContent();
  assert.equal(js, expected.js, "the page shows the snippet the test runs");
  const node = await run(process.execPath, ["--input-type=module", "-e", js!], { cwd: ROOT, timeout: 30_000 });
  assert.match(node.stdout, /Hello!!/, `node printed: ${node.stdout}${node.stderr}`);

  await page.getByTestId("language-curl").click();
  const curl = await page.getByTestId("snippet-curl").textContent();
  assert.equal(curl, expected.curl);
  const shell = await run("bash", ["-c", curl!], { timeout: 30_000 });
  assert.match(shell.stdout, /event: complete\ndata: \["Hello!!"\]/, `curl printed: ${shell.stdout}${shell.stderr}`);

  await page.getByTestId("language-python").click();
  assert.equal(await page.getByTestId("snippet-python").textContent(), expected.python);
  assert.match(expected.python, /client\.predict\(\n {4}text="Hello!!",\n {4}api_name="\/predict",\n\)/);

  // Back to the app without a reload, then straight to /?view=api.
  await page.getByRole("link", { name: "Back to the app" }).click();
  await page.getByRole("button", { name: "Submit" }).waitFor();
  await page.goto(`${url}/?view=api`);
  await page.getByTestId("snippet-js").waitFor();
  await page.close();
});

test("the page is served with the right cache headers", async () => {
  const index = await fetch(`${url}/`);
  assert.equal(index.headers.get("cache-control"), "no-cache");
  const html = await index.text();
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(asset, html);
  const res = await fetch(`${url}${asset}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("cache-control") ?? "", /immutable/);
  assert.match(res.headers.get("content-type") ?? "", /javascript/);
  assert.equal((await fetch(`${url}/assets/nope.js`)).status, 404);
  assert.equal((await fetch(`${url}/assets/..%2F..%2Fpackage.json`)).status, 404);
});
