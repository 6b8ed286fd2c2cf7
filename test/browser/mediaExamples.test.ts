/**
 * Image and audio examples show as thumbnails and small players fetched from the server's own
 * file route, and the API page's file examples point at that same server: its snippets run with
 * no network beyond the app. The suite saves docs/screenshots/examples.png and api.png.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, test } from "node:test";
import { Audio, Image, Interface, type UploadedFile } from "../../src/index.ts";
import { samplePath } from "../../src/samples.ts";
import { snippetsFor, type EndpointInfo } from "../../ui/src/api/snippets.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually, TINY_PNG } from "./helpers.ts";

const run = promisify(execFile);
const browser = await launchBrowser();

// Example files live outside the server's store, as an app's own example folder does.
const dir = mkdtempSync(join(tmpdir(), "usher-examples-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const hills = join(dir, "hills.png");
const squares = join(dir, "four squares.png");
const tone = join(dir, "tone.wav");
copyFileSync(samplePath("image.png"), hills);
writeFileSync(squares, TINY_PNG);
copyFileSync(samplePath("audio.wav"), tone);

const app = await launch(
  new Interface({
    fn: (image: UploadedFile | null, audio: UploadedFile | null) =>
      `${image?.name ?? "no image"} (${image?.size ?? 0} B) + ${audio?.name ?? "no audio"} (${audio?.size ?? 0} B)`,
    inputs: [new Image({ label: "picture" }), new Audio({ label: "sound" })],
    outputs: "text",
    title: "Media examples",
    examples: [
      [hills, tone],
      [squares, tone],
    ],
  }),
);

test("image examples show as thumbnails and audio examples as players, served by the app", async () => {
  const page = await browser.newPage();
  await page.goto(`${app.url}/`);
  const thumbs = page.getByTestId("example-thumb");
  await eventually(async () => assert.equal(await thumbs.count(), 2));
  assert.equal(await thumbs.first().evaluate((e) => e.tagName), "IMG");
  assert.equal(await thumbs.first().getAttribute("alt"), "hills.png");
  // Both thumbnails really loaded (a broken image has no natural width).
  await eventually(async () => {
    for (const img of await thumbs.all()) {
      assert.ok(
        await img.evaluate((e) => (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0),
      );
    }
  });
  const players = page.getByTestId("example-audio");
  assert.equal(await players.count(), 2);
  assert.equal(await players.first().evaluate((e) => e.tagName), "AUDIO");
  const src = (await players.first().evaluate((e) => (e as HTMLAudioElement).src)) ?? "";
  assert.equal(new URL(src).origin, new URL(app.url).origin);
  const wav = await fetch(src);
  assert.equal(wav.status, 200);
  assert.equal(wav.headers.get("content-type"), "audio/wav");

  mkdirSync("docs/screenshots", { recursive: true });
  await page.locator(".block-dataset").screenshot({ path: "docs/screenshots/examples.png" });

  // Picking an example by its thumbnail fills both inputs.
  await thumbs.first().click();
  await page.getByRole("img", { name: "picture: hills.png" }).waitFor();
  await page.locator("[data-testid=block-audio] .media audio").first().waitFor();
  await page.getByRole("button", { name: "Submit" }).click();
  await eventually(async () =>
    assert.match(await page.getByLabel("output").inputValue(), /^hills\.png \(\d+ B\) \+ tone\.wav \(4044 B\)$/),
  );
  assert.deepEqual(browser.external, [], "no request left 127.0.0.1");
  await page.close();
});

test("the API page's file examples are URLs of the app itself, and its snippets run offline", async () => {
  const page = await browser.newPage();
  await page.goto(`${app.url}/?view=api`);
  const js = (await page.getByTestId("snippet-js").textContent()) ?? "";
  const urls = [...js.matchAll(/handle_file\("([^"]+)"\)/g)].map((m) => m[1] ?? "");
  assert.equal(urls.length, 2, js);
  for (const url of urls) {
    assert.equal(new URL(url).origin, new URL(app.url).origin, url);
    assert.equal((await fetch(url)).status, 200, url);
  }
  // The app's own example files, not a sample from elsewhere.
  assert.match(urls[0] ?? "", /\/gradio_api\/file=.*\/hills\.png$/);
  assert.match(urls[1] ?? "", /\/gradio_api\/file=.*\/tone\.wav$/);
  const info = (await (await fetch(`${app.url}/gradio_api/info`)).json()) as {
    named_endpoints: Record<string, EndpointInfo>;
  };
  assert.equal(js, snippetsFor(app.url, "/predict", info.named_endpoints["/predict"]!).js);
  const node = await run(process.execPath, ["--input-type=module", "-e", js], { cwd: process.cwd(), timeout: 30_000 });
  assert.match(
    node.stdout,
    /hills\.png \(\d+ B\) \+ tone\.wav \(4044 B\)/,
    `node printed: ${node.stdout}${node.stderr}`,
  );
  await page.getByTestId("language-python").click();
  assert.match((await page.getByTestId("snippet-python").textContent()) ?? "", /image=handle_file\("http:\/\/127/);
  await page.getByTestId("endpoint").first().screenshot({ path: "docs/screenshots/api.png" });
  assert.deepEqual(browser.external, [], "no request left 127.0.0.1");
  await page.close();
});
