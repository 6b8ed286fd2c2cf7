/**
 * `usher app.ts --reload`: the open page reloads itself when the app restarts (its `dev/reload`
 * stream drops, and the next process names another `app_id`), and then shows and runs the new app.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { appFolder, appSource, OUTPUT_TIMEOUT_MS, usherCli } from "../cli/usherCli.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually, valueOf } from "./helpers.ts";

const browser = await launchBrowser();

/** Set on the page's window: only a new document is without it. */
const MARK = "usherReloadTestMark";

test("the open page reloads itself after a restart and runs the new app", async () => {
  const dir = await appFolder();
  const file = join(dir, "app.ts");
  await writeFile(file, appSource("v1 ", { title: "Version one" }));
  const cli = usherCli(["app.ts", "--port", "0", "--reload"], dir);
  const url = await cli.url(1);
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.title === "Version one");
  await page.evaluate((mark) => Object.assign(window, { [mark]: true }), MARK);

  await writeFile(file, appSource("v2 ", { title: "Version two" }));
  await page.waitForFunction((mark) => document.title === "Version two" && !(mark in window), MARK, {
    timeout: OUTPUT_TIMEOUT_MS,
  });
  assert.equal(await cli.url(2), url);
  await page.getByLabel("x", { exact: true }).fill("x");
  await page.getByRole("button", { name: "Submit" }).click();
  await eventually(async () => assert.equal(await valueOf(page, "output"), "v2 x"), OUTPUT_TIMEOUT_MS);
  assert.deepEqual(browser.external, []);
  await cli.stop();
});
