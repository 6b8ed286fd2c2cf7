/**
 * A full queue: the join is refused with 503 (an HTTP status over SSE, a `join_error` frame over
 * the socket) and the page says so in a dismissible toast.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { callInBackground, eventually, valueOf } from "./helpers.ts";

const browser = await launchBrowser();

for (const transport of ["websocket", "sse"] as const) {
  test(`a join refused with 503 (${transport}) shows 'queue is full, try again'; dismiss, then retry`, async () => {
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const demo = new Interface({
      fn: async (text: string) => {
        await gate;
        return text;
      },
      inputs: "text",
      outputs: "text",
      apiName: "slow",
    });
    const app = await launch(demo, { concurrencyCount: 1, maxSize: 1 });
    // One event runs, one waits: the queue is full.
    const running = await callInBackground(app.url, "slow", ["a"]);
    const waiting = await callInBackground(app.url, "slow", ["b"]);

    const page = await browser.newPage();
    await page.goto(`${app.url}/?transport=${transport}`);
    const joins: number[] = [];
    page.on("response", (r) => {
      if (r.url().endsWith("/gradio_api/queue/join")) joins.push(r.status());
    });
    await page.getByLabel("text", { exact: true }).fill("mine");
    await page.getByRole("button", { name: "Submit" }).click();
    const toast = page.getByRole("alert").filter({ hasText: /queue is full, try again/i });
    await toast.waitFor();
    assert.deepEqual(joins, transport === "sse" ? [503] : []);
    assert.equal(await page.getByTestId("status").count(), 0, "no status left on the output");

    await toast.getByRole("button", { name: /Dismiss/ }).click();
    await toast.waitFor({ state: "detached" });

    // Once the queue drains, the same button works.
    release();
    gate = Promise.resolve();
    await running.done;
    await waiting.done;
    await page.getByRole("button", { name: "Submit" }).click();
    await eventually(async () => assert.equal(await valueOf(page, "output"), "mine"));
    await page.close();
  });
}
