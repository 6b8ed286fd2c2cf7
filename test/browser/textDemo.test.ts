/**
 * The page with a text demo: submit by button and by Enter, examples, Clear, the queue off
 * (`POST /run`), errors and logs as toasts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AppError, Interface, NumberInput, Textbox } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually, valueOf } from "./helpers.ts";

const browser = await launchBrowser();

const shout = () =>
  new Interface({
    fn: (name: string, times: number | null) => `${name}!`.repeat(times ?? 1),
    inputs: [new Textbox({ label: "name" }), new NumberInput({ label: "times", value: 2 })],
    outputs: "text",
    examples: [["ab", 3]],
    apiName: "shout",
  });

for (const [transport, query] of [
  ["websocket", ""],
  ["sse", "?transport=sse"],
] as const) {
  test(`a text demo over ${transport}: Submit, Enter, an example and Clear`, async () => {
    const app = await launch(shout());
    const page = await browser.newPage();
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(new URL(ws.url()).pathname));
    await page.goto(`${app.url}/${query}`);

    await page.getByLabel("name", { exact: true }).fill("hey");
    await page.getByRole("button", { name: "Submit" }).click();
    await eventually(async () => assert.equal(await valueOf(page, "output"), "hey!hey!"));
    assert.equal(await page.evaluate(() => document.documentElement.dataset["transport"]), transport);
    assert.deepEqual(sockets, transport === "websocket" ? ["/gradio_api/queue/ws"] : []);

    // Keyboard only: Enter in the text field submits (the field's label names it: for/id).
    await page.getByLabel("name", { exact: true }).focus();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("yo");
    await page.keyboard.press("Enter");
    await eventually(async () => assert.equal(await valueOf(page, "output"), "yo!yo!"));

    // An example fills both inputs (through the app's hidden load-example endpoint).
    await page.getByTestId("example").first().click();
    await eventually(async () => {
      assert.equal(await valueOf(page, "name"), "ab");
      assert.equal(await valueOf(page, "times"), "3");
    });
    await page.getByRole("button", { name: "Submit" }).click();
    await eventually(async () => assert.equal(await valueOf(page, "output"), "ab!ab!ab!"));

    await page.getByRole("button", { name: "Clear" }).click();
    await eventually(async () => {
      assert.equal(await valueOf(page, "name"), "");
      assert.equal(await valueOf(page, "times"), "2");
      assert.equal(await valueOf(page, "output"), "");
    });
    assert.equal(sockets.length, transport === "websocket" ? 1 : 0, "one socket for all of the tab's events");
    assert.deepEqual(browser.external, [], "the page reached nothing outside the app");
    await page.close();
  });
}

test("with the queue off, the page calls POST /run/{api_name}", async () => {
  const app = await launch(shout(), null);
  const page = await browser.newPage();
  const paths: string[] = [];
  page.on("request", (r) => paths.push(`${r.method()} ${new URL(r.url()).pathname}`));
  await page.goto(`${app.url}/`);
  await page.getByLabel("name", { exact: true }).fill("q");
  await page.getByRole("button", { name: "Submit" }).click();
  await eventually(async () => assert.equal(await valueOf(page, "output"), "q!q!"));
  assert.ok(paths.includes("POST /gradio_api/run/shout"), paths.join("\n"));
  assert.ok(!paths.some((p) => p.includes("/queue/")), "no queue route used");
  await page.close();
});

test("errors and logs show as toasts; an error toast can be dismissed", async () => {
  const demo = new Interface({
    fn: (text: string, ctx: { info(m: string): void; warning(m: string): void }) => {
      if (text === "boom") throw new AppError("Boom: bad input");
      ctx.info("all good");
      ctx.warning("careful");
      return text;
    },
    inputs: "text",
    outputs: "text",
  });
  const app = await launch(demo);
  const page = await browser.newPage();
  await page.goto(`${app.url}/`);
  await page.getByLabel("text", { exact: true }).fill("fine");
  await page.getByRole("button", { name: "Submit" }).click();
  await page.getByTestId("toast-info").filter({ hasText: "all good" }).waitFor();
  await page.getByTestId("toast-warning").filter({ hasText: "careful" }).waitFor();

  await page.getByLabel("text", { exact: true }).fill("boom");
  await page.getByRole("button", { name: "Submit" }).click();
  const toast = page.getByRole("alert").filter({ hasText: "Boom: bad input" });
  await toast.waitFor();
  // The output shows the error too.
  await page.getByTestId("status").filter({ hasText: "Error" }).waitFor();
  await toast.getByRole("button", { name: /Dismiss/ }).click();
  await toast.waitFor({ state: "detached" });
  await page.close();
});
