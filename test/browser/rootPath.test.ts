/**
 * The page behind a reverse proxy that serves the app under a sub-path (`launch({ rootPath:
 * "/demo" })`): assets, config, queue (socket or SSE) and files all go through the prefix, with or
 * without a trailing slash. Behind a proxy that refuses WebSocket upgrades the page falls back to
 * SSE by itself.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually, startProxy, valueOf } from "./helpers.ts";

const browser = await launchBrowser();
const demo = new Interface({ fn: (text: string) => `<${text}>`, inputs: "text", outputs: "text" });
const app = await launch(demo, {}, { rootPath: "/demo" });

for (const [name, websockets, query, transport] of [
  ["over the socket", true, "", "websocket"],
  ["over SSE", true, "?transport=sse", "sse"],
  ["falling back to SSE when the proxy refuses WebSockets", false, "", "sse"],
] as const) {
  test(`under a root path the page loads and submits ${name}`, async () => {
    const { url: base } = await startProxy(app.port, "/demo", { websockets });
    const config = (await (await fetch(`${base}/config`)).json()) as { root: string };
    assert.equal(config.root, base);
    for (const entry of [`${base}${query}`, `${base}/${query}`]) {
      const page = await browser.newPage();
      const paths: string[] = [];
      page.on("request", (r) => paths.push(new URL(r.url()).pathname));
      page.on("websocket", (ws) => paths.push(new URL(ws.url()).pathname));
      await page.goto(entry);
      await page.getByLabel("text", { exact: true }).fill("x");
      await page.getByRole("button", { name: "Submit" }).click();
      await eventually(async () => assert.equal(await valueOf(page, "output"), "<x>"));
      await page.getByLabel("text", { exact: true }).fill("y");
      await page.getByRole("button", { name: "Submit" }).click();
      await eventually(async () => assert.equal(await valueOf(page, "output"), "<y>"));
      assert.ok(paths.length > 3 && paths.every((p) => p.startsWith("/demo/") || p === "/demo"), paths.join("\n"));
      const joinedOverHttp = paths.includes("/demo/gradio_api/queue/join");
      assert.equal(joinedOverHttp, transport === "sse", paths.join("\n"));
      if (transport === "websocket") assert.equal(paths.filter((p) => p === "/demo/gradio_api/queue/ws").length, 1);
      await page.close();
    }
  });
}
