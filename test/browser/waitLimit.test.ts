/**
 * Issue 17 on the page: a join refused for the demo's wait limit (`maxWaitMs`, 503) or for the
 * client's limit (`maxPerClient`, 429) shows a toast with the server's detail ("Busy: about 59 s to
 * wait, over this demo's limit of 1 s; try again in 58 s"), over SSE (the HTTP status) and the
 * socket (a `join_error` frame), and leaves no status on the output.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import type { QueueOptions } from "../../src/options.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { callInBackground, eventually, valueOf } from "./helpers.ts";

const browser = await launchBrowser();

/** An echo held until `open()`, that the estimator expects to take a minute a call. */
async function busyApp(queue: QueueOptions) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const demo = new Interface({
    fn: async (text: string) => {
      await gate;
      return text;
    },
    inputs: "text",
    outputs: "text",
    apiName: "slow",
    expectedDurationMs: 60_000,
  });
  const app = await launch(demo, { concurrencyCount: 1, ...queue });
  return { app, open };
}

for (const transport of ["websocket", "sse"] as const) {
  test(`a join over maxWaitMs (${transport}) shows 'Busy: about … to wait, over this demo's limit…; try again in … s'`, async () => {
    const { app, open } = await busyApp({ maxWaitMs: 1000 });
    // Someone else's job runs, expected for a minute: any join now would wait about that long.
    const running = await callInBackground(app.url, "slow", ["first"]);
    const page = await browser.newPage();
    await page.goto(`${app.url}/?transport=${transport}`);
    const joins: number[] = [];
    page.on("response", (r) => {
      if (r.url().endsWith("/gradio_api/queue/join")) joins.push(r.status());
    });
    await page.getByLabel("text", { exact: true }).fill("mine");
    await page.getByRole("button", { name: "Submit" }).click();
    const toast = page.getByRole("alert").filter({ hasText: /Busy: about/ });
    await toast.waitFor();
    const text = (await toast.locator(".toast-message").textContent()) ?? "";
    assert.match(text, /^Busy: about \d+ s to wait, over this demo's limit of 1 s; try again in \d+ s\.$/);
    assert.equal(await toast.locator(".toast-title").textContent(), "Try again later");
    assert.deepEqual(joins, transport === "sse" ? [503] : []);
    assert.equal(await page.getByTestId("status").count(), 0, "no status left on the output");

    // Once the running job is done the queue is empty, and the same button works.
    await toast.getByRole("button", { name: /Dismiss/ }).click();
    open();
    await running.done;
    await page.getByRole("button", { name: "Submit" }).click();
    await eventually(async () => assert.equal(await valueOf(page, "output"), "mine"));
    await page.close();
  });
}

test("a join over maxPerClient shows 'Too many requests' with the detail", async () => {
  const { app, open } = await busyApp({ maxPerClient: 1 });
  // The page's own address already has a job running (the background call comes from 127.0.0.1 too).
  const running = await callInBackground(app.url, "slow", ["first"]);
  const page = await browser.newPage();
  await page.goto(`${app.url}/?transport=sse`);
  await page.getByLabel("text", { exact: true }).fill("mine");
  await page.getByRole("button", { name: "Submit" }).click();
  const toast = page.getByRole("alert").filter({ hasText: /You already have 1 requests? waiting or running/ });
  await toast.waitFor();
  assert.equal(await toast.locator(".toast-title").textContent(), "Too many requests");
  assert.match((await toast.locator(".toast-message").textContent()) ?? "", /Try again in \d+ s\.$/);
  open();
  await running.done;
  await page.close();
});
