/**
 * A tab whose queue socket drops mid-event reconnects with the same session hash; the server kept
 * the event for its grace period and replays what the tab missed, so the result still arrives.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Interface, type EventContext } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually, startProxy, valueOf } from "./helpers.ts";

const browser = await launchBrowser();

test("a dropped socket reconnects and the running event still completes", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const demo = new Interface({
    fn: async (text: string, ctx: EventContext) => {
      ctx.progress(0.5, "half way");
      await gate;
      return text.split("").reverse().join("");
    },
    inputs: "text",
    outputs: "text",
  });
  const app = await launch(demo);
  const proxy = await startProxy(app.port, "", { websockets: true });
  const page = await browser.newPage();
  const sockets: string[] = [];
  /** Frames the page received, per socket. */
  const received: string[][] = [];
  page.on("websocket", (ws) => {
    const frames: string[] = [];
    sockets.push(ws.url());
    received.push(frames);
    ws.on("framereceived", (f) => frames.push(String(f.payload)));
  });
  await page.goto(`${proxy.url}/`);
  await page.getByLabel("text", { exact: true }).fill("abc");
  await page.getByRole("button", { name: "Submit" }).click();
  await page.getByTestId("progress").waitFor();

  proxy.dropSockets();
  await eventually(() => assert.equal(sockets.length, 2, "the page opened a second socket"));
  const session = (u: string | undefined) => new URL(u ?? "ws://x").searchParams.get("session_hash");
  assert.equal(session(sockets[1]), session(sockets[0]), "same session");
  // The server greeted the second socket: it is the session's reader, the result goes to it.
  await eventually(() =>
    assert.ok(
      received[1]?.some((f) => f.includes('"hello"')),
      "the second socket's hello",
    ),
  );
  release();
  await eventually(async () => assert.equal(await valueOf(page, "output"), "cba"));
  assert.equal(await page.getByRole("alert").count(), 0, "no error shown");
  await page.close();
});
