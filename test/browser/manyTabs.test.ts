/**
 * Eight tabs of one app in one browser context, all with an event in flight at once. Browsers
 * allow about six HTTP/1.1 connections per origin, so eight SSE streams (one per tab) cannot all
 * be open together and the joins of the last tabs stall behind them; the WebSocket transport
 * (one socket per tab, outside that pool) must carry them all.
 *
 * The WebSocket endpoint at `/gradio_api/queue/ws` must exist: an upgrade answered 404 (or any
 * other failure to open it) fails the test before any tab opens.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import WebSocket from "ws";
import { Interface } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually, valueOf } from "./helpers.ts";

const TABS = 8;

let started = 0;
let releaseAll!: () => void;
const allStarted = new Promise<void>((r) => (releaseAll = r));
const demo = new Interface({
  // Every call waits until all eight run at once: only then can any of them finish.
  fn: async (text: string) => {
    if (++started === TABS) releaseAll();
    await allStarted;
    return `${text} done`;
  },
  inputs: "text",
  outputs: "text",
  apiName: "together",
});
const app = await launch(demo, { concurrencyCount: TABS });

/** The queue socket's upgrade status when it is refused (404: no such route), "open" when it opens. */
async function openQueueSocket(): Promise<number | string> {
  const url = `${app.url.replace(/^http/, "ws")}/gradio_api/queue/ws?session_hash=probe${Date.now()}`;
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.once("open", () => {
      socket.close();
      resolve("open");
    });
    socket.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("error", (err) => resolve(err.message));
  });
}

test("8 tabs in one browser context run their events at once over one WebSocket each", {
  timeout: 60_000,
}, async () => {
  assert.equal(await openQueueSocket(), "open", "the WebSocket endpoint /gradio_api/queue/ws accepts an upgrade");
  const browser = await launchBrowser();
  const pages = await Promise.all(Array.from({ length: TABS }, () => browser.newPage()));
  const sockets = pages.map(() => 0);
  pages.forEach((p, i) => p.on("websocket", () => sockets[i]!++));
  // No ?transport=: the config advertises the socket (`queue_ws`) and the page takes it.
  await Promise.all(pages.map((p) => p.goto(`${app.url}/`)));
  await Promise.all(
    pages.map(async (p, i) => {
      await p.getByLabel("text", { exact: true }).fill(`tab ${i}`);
      await p.getByRole("button", { name: "Submit" }).click();
    }),
  );
  await Promise.all(
    pages.map((p, i) => eventually(async () => assert.equal(await valueOf(p, "output"), `tab ${i} done`), 30_000)),
  );
  // A second round reuses each tab's socket.
  await Promise.all(pages.map((p) => p.getByRole("button", { name: "Submit" }).click()));
  await Promise.all(
    pages.map((p, i) => eventually(async () => assert.equal(await valueOf(p, "output"), `tab ${i} done`), 30_000)),
  );
  assert.deepEqual(
    sockets,
    pages.map(() => 1),
    "one socket per tab",
  );
  for (const p of pages)
    assert.equal(await p.evaluate(() => document.documentElement.dataset["transport"]), "websocket");
});
