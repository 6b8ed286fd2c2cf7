/**
 * A worker function whose model loads on first use (its module's setup() takes 2 s): the page of
 * the user whose call waits for the load shows "loading model, ~N s" counting down, then the
 * result; a second page that joins behind it during the load sees the load in its ETA.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interface, Textbox, inWorker } from "../../src/index.ts";
import type { ProgressUnit } from "../../src/protocol/eventUpdates.ts";
import { loadingCaption, withProgress, type JobStatus } from "../../ui/src/runtime/JobStatus.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually, valueOf } from "./helpers.ts";

const SETUP_MS = 2000;
// The worker threads copy the environment when they start (at the first call).
process.env["USHER_TEST_SETUP_MS"] = String(SETUP_MS);

const browser = await launchBrowser();

test("the page shows the model loading, then the result; a page behind it waits for the load", async () => {
  const demo = new Interface({
    fn: inWorker(new URL("../fixtures/slowSetupModule.ts", import.meta.url), "echo", { loadMs: SETUP_MS }),
    // A worker function's parameters are not visible here: the input is labelled by hand.
    inputs: new Textbox({ label: "text" }),
    outputs: "text",
    expectedDurationMs: 50,
  });
  const app = await launch(demo, { concurrencyCount: 1 }, { workerThreads: 1 });
  const [first, second] = [await browser.newPage(), await browser.newPage()];
  for (const page of [first, second]) await page.goto(`${app.url}/`);

  await first.getByLabel("text", { exact: true }).fill("one");
  await first.getByRole("button", { name: "Submit" }).click();
  const loading = first.locator("[data-testid=progress][data-loading=true]");
  await loading.waitFor({ timeout: 15_000 });
  assert.match((await loading.textContent()) ?? "", /^loading model, ~[12] s$/);

  // Joined during the load: its ETA holds the rest of the load, not just two 50 ms calls.
  await second.getByLabel("text", { exact: true }).fill("two");
  await second.getByRole("button", { name: "Submit" }).click();
  const queued = second.getByTestId("status-text").filter({ hasText: /^queue: 1\/1 \| / });
  await queued.waitFor();
  const total = Number(/\/(\d+\.\d)s$/.exec((await queued.textContent()) ?? "")?.[1]);
  assert.ok(total >= 0.5, `the waiting page's expected total includes the load: ${total} s`);

  await eventually(async () => assert.match(await valueOf(first, "output"), /^model:one@\d+$/), 15_000);
  await eventually(async () => assert.match(await valueOf(second, "output"), /^model:two@\d+$/), 15_000);
  assert.equal(await first.locator("[data-testid=progress]").count(), 0, "no loading caption left");
  assert.equal(await second.locator("[data-loading]").count(), 0, "the second call did not load");
  await first.close();
  await second.close();
});

test("the loading caption counts down and moves the expected end by the load", () => {
  const base: JobStatus = {
    stage: "running",
    submittedAt: 0,
    rank: null,
    queueSize: null,
    expectedEndAt: 1000,
    progress: null,
    loadingUntil: null,
    message: null,
    showProgress: "full",
  };
  const unit = (desc: string): ProgressUnit => ({ index: null, length: null, unit: null, progress: null, desc });
  const loading = withProgress(base, [unit("loading model, ~3 s")], 500);
  assert.equal(loading.loadingUntil, 3500);
  assert.equal(loading.expectedEndAt, 4000);
  assert.equal(loadingCaption(3500, 500), "loading model, ~3 s");
  assert.equal(loadingCaption(3500, 2600), "loading model, ~1 s");
  assert.equal(loadingCaption(3500, 9000), "loading model, ~1 s", "never ~0 s while still loading");
  const again = withProgress(loading, [unit("loading model, ~2 s")], 1500);
  assert.equal(again.expectedEndAt, 4000, "the load moves the end once");
  const done = withProgress(again, [], 2500);
  assert.deepEqual([done.loadingUntil, done.expectedEndAt, done.progress], [null, 4000, []]);
  const unknown = withProgress(base, [unit("loading model")], 500);
  assert.deepEqual([unknown.loadingUntil, unknown.expectedEndAt], [null, 1000]);
  const other = withProgress(base, [unit("loading model weights")], 500);
  assert.equal(other.loadingUntil, null, "an app's own caption is not a load");
});
