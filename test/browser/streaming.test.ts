/**
 * Streamed outputs: a generator's chunks show as they arrive (the page applies the server's
 * diffs after the first chunk, with src/protocol/diff.ts), in a text box and in a chatbot.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { Blocks, Button, Chatbot, Interface, Textbox, type ChatMessage } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually, valueOf } from "./helpers.ts";

const browser = await launchBrowser();

test("a generator's text output grows chunk by chunk", async () => {
  const demo = new Interface({
    fn: async function* (text: string) {
      let out = "";
      for (const word of text.split(" ")) {
        out += (out ? " " : "") + word;
        await sleep(150);
        yield out;
      }
    },
    inputs: "text",
    outputs: "text",
    apiName: "words",
  });
  const app = await launch(demo);
  const page = await browser.newPage();
  await page.goto(`${app.url}/`);
  // Record every value the output shows.
  await page.evaluate(() => {
    const w = window as unknown as { seen: string[] };
    w.seen = [];
    setInterval(() => {
      const el = document.querySelector<HTMLTextAreaElement>(
        "[data-testid=block-textbox]:last-of-type textarea, textarea[readonly]",
      );
      const v = el?.value ?? "";
      if (v !== "" && w.seen.at(-1) !== v) w.seen.push(v);
    }, 20);
  });
  await page.getByLabel("text", { exact: true }).fill("one two three four five");
  await page.getByRole("button", { name: "Submit" }).click();
  await eventually(async () => assert.equal(await valueOf(page, "output"), "one two three four five"));
  // The sampler runs every 20 ms: let it record the final value before reading what it saw.
  await eventually(async () =>
    assert.equal(
      await page.evaluate(() => (window as unknown as { seen: string[] }).seen.at(-1)),
      "one two three four five",
    ),
  );
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  // Every chunk extends the last one (a slow machine may skip a sample, never reorder them).
  assert.ok(seen.length >= 3, `saw the text grow: ${JSON.stringify(seen)}`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.startsWith(seen[i - 1]!), JSON.stringify(seen));
  await page.close();
});

test("a chatbot streams its answer into a message bubble", async () => {
  const app = await launch(
    new Blocks({ title: "Chat" }, () => {
      const chat = new Chatbot({ label: "chat" });
      const message = new Textbox({ label: "message" });
      const send = new Button({ value: "Send", variant: "primary" });
      const reply = async function* (text: string, history: ChatMessage[]) {
        const base: ChatMessage[] = [...history, { role: "user", content: text }];
        let answer = "";
        for (const ch of `You said: **${text}**`) {
          answer += ch;
          await sleep(10);
          yield [[...base, { role: "assistant", content: answer }], ""];
        }
      };
      send.click({ fn: reply, inputs: [message, chat], outputs: [chat, message], apiName: "chat" });
    }),
  );
  const page = await browser.newPage();
  await page.goto(`${app.url}/`);
  await page.evaluate(() => {
    const w = window as unknown as { lengths: number[] };
    w.lengths = [];
    setInterval(() => {
      const bot = document.querySelector(".bubble.bot");
      const n = bot?.textContent?.length ?? 0;
      if (n > 0 && w.lengths.at(-1) !== n) w.lengths.push(n);
    }, 10);
  });
  await page.getByLabel("message").fill("hello <img src=x onerror=alert(1)>");
  await page.getByRole("button", { name: "Send" }).click();
  const bot = page.locator(".bubble.bot");
  await eventually(async () => assert.equal((await bot.textContent())?.trim(), "You said: hello"));
  assert.equal((await page.locator(".bubble.user").textContent())?.trim(), "hello");
  // Markdown is rendered, and the user's HTML is sanitized: the <img> keeps no handler.
  assert.equal(await bot.locator("strong").count(), 1);
  assert.equal(await page.locator("[onerror]").count(), 0);
  const lengths = await page.evaluate(() => (window as unknown as { lengths: number[] }).lengths);
  assert.ok(lengths.length >= 4, `the answer grew in steps: ${lengths.join(",")}`);
  assert.equal(await valueOf(page, "message"), "", "the second output was cleared");
  await page.close();
});
