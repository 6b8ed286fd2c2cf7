/**
 * The showcase (demo/), end to end through the real @gradio/client: every tab answers a real input
 * with its real model, offline.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Client, handle_file } from "@gradio/client";
import { createShowcase } from "../../demo/src/createShowcase.ts";
import { renderText } from "../../demo/src/examples/renderText.ts";
import { launch } from "../helpers/launch.ts";

type Ev = { type: string; stage?: string; data?: unknown[] };

// Set up at the top level: launch() registers its own after(), which inside a before() hook
// would close the server as soon as that hook ended.
const examplesDir = await mkdtemp(join(tmpdir(), "usher-demo-test-"));
const showcase = await createShowcase({ concurrencyCount: 2, examplesDir, streamDelayMs: 5 });
after(async () => {
  await showcase.close();
  await rm(examplesDir, { recursive: true, force: true });
});
const app = await launch(showcase.app, { concurrencyCount: 2 });
const client = await Client.connect(app.url);

const png = (bytes: Buffer) => handle_file(new Blob([new Uint8Array(bytes)], { type: "image/png" }));

test("OCR reads the text of an image made at test time", async () => {
  const image = await renderText("Queues make demos fair");
  const { data } = await client.predict("/ocr", [png(image)]);
  assert.equal(data[0], "Queues make demos fair");
});

test("language ID names French as French, with five confidences", async () => {
  const { data } = await client.predict("/language", ["Je voudrais un café et un croissant, s'il vous plaît."]);
  const label = data[0] as { label: string; confidences: { label: string; confidence: number }[] };
  assert.equal(label.label, "French (fr)");
  assert.equal(label.confidences.length, 5);
  assert.ok(label.confidences[0]!.confidence > 0.9, JSON.stringify(label.confidences[0]));
});

test("the orientation classifier labels a line turned by 180° as rotated, and an upright one as upright", async () => {
  const [down, up] = await Promise.all([
    renderText("Queues make demos fair", { rotate180: true }),
    renderText("Hello from Usher"),
  ]);
  // Sent together, they can share one batch; each still gets its own answer.
  const [rotated, upright] = await Promise.all([
    client.predict("/orientation", [png(down)]),
    client.predict("/orientation", [png(up)]),
  ]);
  assert.equal((rotated.data[0] as { label: string }).label, "rotated (180°)");
  assert.equal((upright.data[0] as { label: string }).label, "upright (0°)");
});

test("the streaming tab streams word by word", async () => {
  const events: Ev[] = [];
  for await (const ev of client.submit("/stream", ["The river", 12])) events.push(ev as Ev);
  const chunks = events.filter((e) => e.type === "data").map((e) => String(e.data?.[0]));
  assert.ok(chunks.length >= 12, `${chunks.length} chunks`);
  for (let i = 1; i < chunks.length; i++)
    assert.ok(chunks[i]!.startsWith(chunks[i - 1]!), "each chunk extends the last");
  assert.equal(chunks.at(-1)!.split(" ").length, 2 + 12);
});
