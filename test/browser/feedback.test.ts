/**
 * How the page answers while an event is out and when it fails: a pending output shows a loading
 * overlay beside its queue position and ETA, gone with the result; toasts never cover the header
 * or the inputs, wide screen or narrow, and can be dismissed. The suite saves
 * docs/screenshots/loading.png and toast.png.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { test } from "node:test";
import type { Locator, Page } from "playwright-core";
import { AppError, Interface } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { callInBackground, eventually, valueOf } from "./helpers.ts";

const browser = await launchBrowser();

// Every call waits until the test lets it through, so the page's own call stays queued.
const waiting: (() => void)[] = [];
const release = () => waiting.splice(0).forEach((go) => go());
const app = await launch(
  new Interface({
    fn: async (text: string) => {
      await new Promise<void>((go) => waiting.push(go));
      if (text === "fail") throw new AppError("The model could not read this input: try a shorter text.");
      return text.toUpperCase();
    },
    inputs: "text",
    outputs: "text",
    title: "Feedback",
    apiName: "shout",
    expectedDurationMs: 4000,
  }),
  { concurrencyCount: 1 },
);

const box = async (l: Locator) => {
  const b = await l.boundingBox();
  assert.ok(b, "visible");
  return b;
};

/** Whether two boxes share any area. */
function overlaps(a: { x: number; y: number; width: number; height: number }, b: typeof a): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** The toast of a failed call, checked clear of the header and the first input. */
async function failAndCheckToast(page: Page): Promise<Locator> {
  await page.getByLabel("text", { exact: true }).fill("fail");
  await page.getByRole("button", { name: "Submit" }).click();
  const toast = page.getByRole("alert").filter({ hasText: "could not read this input" });
  await eventually(async () => {
    release();
    await toast.waitFor({ timeout: 200 });
  });
  const t = await box(toast);
  for (const covered of [page.getByRole("heading", { name: "Feedback" }), page.getByLabel("text", { exact: true })]) {
    assert.ok(!overlaps(t, await box(covered)), `toast ${JSON.stringify(t)} overlaps ${covered}`);
  }
  return toast;
}

test("a pending output shows a loading overlay beside its queue position and ETA, gone with the result", async () => {
  const page = await browser.newPage();
  await page.goto(`${app.url}/`);
  // One call ahead holds the only slot: the page's call waits, first in line.
  const ahead = await callInBackground(app.url, "shout", ["first"]);
  await eventually(() => assert.equal(waiting.length, 1));
  await page.getByLabel("text", { exact: true }).fill("hello");
  await page.getByRole("button", { name: "Submit" }).click();
  const output = page.locator("[data-testid=block-textbox]").filter({ has: page.getByLabel("output") });
  const loading = output.getByTestId("loading");
  await loading.waitFor();
  assert.ok(await loading.isVisible());
  assert.equal(await output.getAttribute("aria-busy"), "true");
  await output
    .getByTestId("status-text")
    .filter({ hasText: /^queue: 1\/1 \| \d+\.\d\/\d+\.\ds$/ })
    .waitFor();
  // The overlay spans the output, under its status line.
  const [o, l] = [await box(output), await box(loading)];
  assert.ok(l.width >= o.width - 2 && l.height >= o.height - 2, "the overlay covers the output");
  mkdirSync("docs/screenshots", { recursive: true });
  await page.locator("main").screenshot({ path: "docs/screenshots/loading.png", animations: "disabled" });

  await eventually(async () => {
    release();
    assert.equal(await valueOf(page, "output"), "HELLO");
  });
  await loading.waitFor({ state: "detached" });
  assert.equal(await output.getAttribute("aria-busy"), "false");
  await ahead.done;
  await page.close();
});

test("toasts stay clear of the header and the inputs, on a wide and a narrow screen, and can be dismissed", async () => {
  const page = await browser.newPage();
  await page.goto(`${app.url}/`);
  const toast = await failAndCheckToast(page);
  await page.screenshot({ path: "docs/screenshots/toast.png" });
  await toast.getByRole("button", { name: /Dismiss/ }).click();
  await toast.waitFor({ state: "detached" });

  await page.setViewportSize({ width: 480, height: 800 });
  const narrow = await failAndCheckToast(page);
  // On a narrow screen it sits in the flow, above the app.
  assert.ok((await box(narrow)).y < (await box(page.getByRole("heading", { name: "Feedback" }))).y);
  await narrow.getByRole("button", { name: /Dismiss/ }).click();
  await narrow.waitFor({ state: "detached" });
  await page.close();
});
