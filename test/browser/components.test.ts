/**
 * Every core component as a working widget in one Blocks app: tabs, an accordion, slider,
 * checkbox, dropdown, radio, file and audio uploads, State; JSON, label bars, file downloads and
 * an audio player as outputs; Markdown and HTML sanitized. Driven from the keyboard where a user
 * would.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Accordion,
  Audio,
  Blocks,
  Button,
  Checkbox,
  Dropdown,
  File,
  HTML,
  Json,
  Label,
  Markdown,
  Radio,
  Slider,
  State,
  Tab,
  Textbox,
  type UploadedFile,
} from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { eventually } from "./helpers.ts";

const browser = await launchBrowser();

/** A valid 8-sample mono 8 kHz 8-bit WAV. */
function tinyWav(): Buffer {
  const samples = Buffer.from([128, 160, 190, 160, 128, 96, 66, 96]);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0);
  h.writeUInt32LE(36 + samples.length, 4);
  h.write("WAVEfmt ", 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.write("data", 36);
  h.writeUInt32LE(samples.length, 40);
  return Buffer.concat([h, samples]);
}

const app = await launch(
  new Blocks({ title: "Kitchen sink" }, () => {
    new Markdown(
      '# Kitchen sink\n\nSome **bold** text <img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>',
    );
    new HTML(
      '<b id="html-bold">strong</b><a href="javascript:window.pwned=3">bad link</a><img src=x onerror="window.pwned=4">',
    );
    let inputs: [Slider, Checkbox, Dropdown, Radio, File, Audio] | undefined;
    let outputs: [Json, Label, File, Audio] | undefined;
    const visits = new State(0);
    new Tab("Inputs", () => {
      inputs = [
        new Slider({ label: "level", minimum: 0, maximum: 10, step: 1, value: 3 }),
        new Checkbox({ label: "loud" }),
        new Dropdown({ label: "animal", choices: ["cat", "dog"] }),
        new Radio({ label: "size", choices: ["S", "M", "L"], value: "S" }),
        new File({ label: "doc" }),
        new Audio({ label: "sound" }),
      ];
    });
    new Tab("Outputs", () => {
      outputs = [
        new Json({ label: "echo" }),
        new Label({ label: "guess" }),
        new File({ label: "download" }),
        new Audio({ label: "played" }),
      ];
    });
    new Accordion({ label: "More", open: false }, () => {
      new Textbox({ label: "note", value: "tucked away" });
    });
    const go = new Button({ value: "Go", variant: "primary" });
    go.click({
      fn: (
        level: number,
        loud: boolean,
        animal: unknown,
        size: unknown,
        doc: UploadedFile | null,
        sound: UploadedFile | null,
        n: number,
      ) => [
        { level, loud, animal, size, doc: doc?.name ?? null, sound: sound?.name ?? null, visits: n + 1 },
        { cat: 0.25, dog: 0.7, cow: 0.05 },
        doc,
        sound,
        n + 1,
      ],
      inputs: [...inputs!, visits],
      outputs: [...outputs!, visits],
      apiName: "go",
    });
  }),
);

test("every core component works as a widget, and Markdown and HTML are sanitized", async () => {
  const page = await browser.newPage();
  await page.goto(`${app.url}/`);
  await page.getByRole("heading", { name: "Kitchen sink" }).waitFor();

  // Sanitized: no script ran, no handler or javascript: URL survived.
  assert.equal(await page.locator("#html-bold").textContent(), "strong");
  assert.equal(await page.locator("[onerror]").count(), 0);
  assert.equal(await page.locator("main script").count(), 0);
  assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);

  // Inputs, by keyboard where a person would use it.
  const slider = page.getByRole("slider", { name: "level" });
  await slider.focus();
  await page.keyboard.press("ArrowRight");
  assert.equal(await slider.inputValue(), "4");
  await page.getByLabel("loud").focus();
  await page.keyboard.press("Space");
  assert.ok(await page.getByLabel("loud").isChecked());
  await page.getByLabel("animal").selectOption({ label: "dog" });
  await page.getByRole("radio", { name: "S" }).focus();
  await page.keyboard.press("ArrowRight");
  assert.ok(await page.getByRole("radio", { name: "M" }).isChecked());
  await page
    .getByLabel("doc")
    .setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello file") });
  await page.getByRole("link", { name: "notes.txt" }).waitFor();
  await page.getByLabel("sound").setInputFiles({ name: "beep.wav", mimeType: "audio/wav", buffer: tinyWav() });
  await page.locator("[data-testid=block-audio] audio").first().waitFor();

  await page.getByRole("button", { name: "Go" }).click();

  // Outputs live in the second tab: arrow keys move between tabs.
  await page.getByRole("tab", { name: "Inputs" }).focus();
  await page.keyboard.press("ArrowRight");
  const outputsTab = page.getByRole("tab", { name: "Outputs" });
  assert.equal(await outputsTab.getAttribute("aria-selected"), "true");
  const panel = page.getByRole("tabpanel", { name: "Outputs" });

  const json = panel.locator("[data-testid=block-json]");
  await eventually(async () => {
    const text = (await json.textContent()) ?? "";
    for (const part of ['"dog"', '"M"', "true", "4", '"notes.txt"', '"beep.wav"'])
      assert.ok(text.includes(part), `${part} in ${text}`);
  });
  assert.equal(await panel.getByTestId("label-heading").textContent(), "dog");
  assert.equal(await panel.getByRole("meter", { name: "dog" }).getAttribute("aria-valuenow"), "70");
  assert.equal(await panel.getByRole("meter", { name: "cat" }).getAttribute("aria-valuenow"), "25");

  // The file comes back as a download link whose URL serves it.
  const link = panel.locator("[data-testid=block-file] a");
  const href = await link.getAttribute("href");
  assert.ok(href);
  assert.equal(await (await fetch(new URL(href, app.url))).text(), "hello file");
  // The audio player can load what the function returned.
  await eventually(async () => {
    const ready = await panel
      .locator("[data-testid=block-audio] audio")
      .evaluate((a) => (a as HTMLAudioElement).readyState);
    assert.ok(ready >= 1, `audio readyState ${ready}`);
  });

  // State lives on the server: a second run sees the first one's value.
  await page.getByRole("tab", { name: "Inputs" }).click();
  await page.getByRole("button", { name: "Go" }).click();
  await outputsTab.click();
  await eventually(async () => assert.match((await json.textContent()) ?? "", /visits.*2/s));

  // The accordion opens from the keyboard.
  assert.equal(await page.getByLabel("note").isVisible(), false);
  await page.locator("summary", { hasText: "More" }).focus();
  await page.keyboard.press("Enter");
  assert.equal(await page.getByLabel("note").inputValue(), "tucked away");
  assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  await page.close();
});
