/**
 * File inputs: an image arrives by the file picker, by drag and drop and by paste; the page
 * uploads it (`POST /upload`), previews it, sends its FileData, and shows the image the function
 * returns (its `url`).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Image, Interface, Textbox, type UploadedFile } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually, TINY_PNG, valueOf } from "./helpers.ts";

const browser = await launchBrowser();

const demo = new Interface({
  fn: async (picture: UploadedFile | null) => {
    if (picture === null) return [null, "no picture"];
    return [await picture.read(), `${picture.name} ${picture.size}`];
  },
  inputs: [new Image({ label: "picture" })],
  outputs: [new Image({ label: "result" }), new Textbox({ label: "about" })],
  apiName: "echo",
});
const app = await launch(demo);

/** Waits until the image in block `label` has loaded, and returns its natural width. */
async function loadedWidth(page: import("playwright-core").Page, alt: RegExp): Promise<number> {
  const img = page.getByRole("img", { name: alt });
  await img.waitFor();
  return eventually(async () => {
    const w = await img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth);
    assert.ok(typeof w === "number" && w > 0, "image loaded");
    return w;
  });
}

test("an image chosen with the file picker is uploaded, previewed, sent and returned", async () => {
  const page = await browser.newPage();
  const uploads: string[] = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/gradio_api/upload") uploads.push(r.method());
  });
  await page.goto(`${app.url}/`);
  // The file input is named by the block's label (aria-labelledby).
  await page.getByLabel("picture").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: TINY_PNG });
  assert.equal(await loadedWidth(page, /^picture: dot\.png$/), 2, "preview of the upload");
  assert.deepEqual(uploads, ["POST"]);

  await page.getByRole("button", { name: "Submit" }).click();
  await eventually(async () => assert.equal(await valueOf(page, "about"), `dot.png ${TINY_PNG.length}`));
  assert.equal(await loadedWidth(page, /^result: /), 2, "the returned image is shown from its url");

  // Remove, then the picker is back.
  await page.getByRole("button", { name: "Remove picture" }).click();
  await page.getByLabel("picture").waitFor({ state: "attached" });
  await page.close();
});

test("an image can be dropped or pasted onto the upload zone", async () => {
  const page = await browser.newPage();
  await page.goto(`${app.url}/`);
  const zone = page.getByTestId("drop-zone");
  const b64 = TINY_PNG.toString("base64");

  // Drag and drop: a DataTransfer carrying a File, as the browser builds it for a real drop.
  const dataTransfer = await page.evaluateHandle((data) => {
    const dt = new DataTransfer();
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    dt.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
    return dt;
  }, b64);
  await zone.dispatchEvent("dragover", { dataTransfer });
  await zone.dispatchEvent("drop", { dataTransfer });
  assert.equal(await loadedWidth(page, /^picture: dropped\.png$/), 2);
  await page.getByRole("button", { name: "Remove picture" }).click();

  // Paste: a clipboard event with a file, on the focused zone.
  await page.getByLabel("picture").focus();
  await page.evaluate((data) => {
    const dt = new DataTransfer();
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    dt.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
    document.activeElement!.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true }));
  }, b64);
  assert.equal(await loadedWidth(page, /^picture: pasted\.png$/), 2);
  await page.getByRole("button", { name: "Submit" }).click();
  await eventually(async () => assert.equal(await valueOf(page, "about"), `pasted.png ${TINY_PNG.length}`));
  await page.close();
});
