/**
 * Queue status on the page: while the event waits its output shows "queue: r/n | elapsed/total s"
 * with position and ETA updating, then a progress bar that moves, then the result.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { Interface, type EventContext } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";
import { launchBrowser } from "./chromium.ts";
import { callInBackground, eventually, valueOf } from "./helpers.ts";

const browser = await launchBrowser();

/** What the page's status showed, sampled every 25 ms in the page. */
interface Sample {
  text: string;
  rank: string | null;
  etaLeft: string | null;
  progress: number | null;
}

test("a waiting event shows its position and ETA changing, then a moving progress bar", async () => {
  const steps = 6;
  // Nothing runs until the page's event is queued behind three others: the test opens the gate.
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const demo = new Interface({
    fn: async (text: string, ctx: EventContext) => {
      await gate;
      for (let i = 1; i <= steps; i++) {
        await sleep(120);
        ctx.progress([i, steps], "Working");
      }
      await sleep(120);
      return text.toUpperCase();
    },
    inputs: "text",
    outputs: "text",
    apiName: "work",
    expectedDurationMs: 840,
  });
  const app = await launch(demo, { concurrencyCount: 1, statusUpdateMs: 50 });
  const page = await browser.newPage();
  await page.goto(`${app.url}/`);
  await page.evaluate(() => {
    const w = window as unknown as { samples: Sample[] };
    w.samples = [];
    setInterval(() => {
      const s = document.querySelector<HTMLElement>("[data-testid=status]");
      if (s === null) return;
      const bar = s.querySelector("progress");
      w.samples.push({
        text: s.querySelector("[data-testid=status-text]")?.textContent ?? "",
        rank: s.dataset["rank"] ?? null,
        etaLeft: s.dataset["etaLeft"] ?? null,
        progress: bar === null ? null : bar.value,
      });
    }, 25);
  });

  // Three events ahead of the page's: one runs, two wait.
  const ahead = [];
  for (let i = 0; i < 3; i++) ahead.push(await callInBackground(app.url, "work", [`api ${i}`]));
  await page.getByLabel("text", { exact: true }).fill("mine");
  await page.getByRole("button", { name: "Submit" }).click();
  await page
    .getByTestId("status-text")
    .filter({ hasText: /^queue: 3\/3 \| / })
    .waitFor();
  open();
  await eventually(async () => assert.equal(await valueOf(page, "output"), "MINE"), 20_000);
  for (const a of ahead) assert.match(await a.done, /event: complete/);

  const samples = await page.evaluate(() => (window as unknown as { samples: Sample[] }).samples);
  const queued = samples.filter((s) => s.text.startsWith("queue:"));
  assert.ok(queued.length > 0, `saw queue status: ${JSON.stringify(samples.slice(0, 5))}`);
  for (const s of queued) assert.match(s.text, /^queue: \d+\/\d+ \| \d+\.\d(\/\d+\.\d)?s$/);
  const positions = [...new Set(queued.map((s) => s.text.split(" ")[1]))];
  assert.ok(positions.length >= 2, `the position changed: ${positions.join(", ")}`);
  assert.equal(positions[0], "3/3", "two waiting and one running ahead at first");
  assert.ok(positions.includes("1/1"), `reached the head of the queue: ${positions.join(", ")}`);
  const ranks = queued.map((s) => Number(s.rank));
  assert.ok(
    ranks.every((r, i) => i === 0 || r <= ranks[i - 1]!),
    "the position only moves forward",
  );
  const etas = queued.map((s) => s.etaLeft).filter((e): e is string => e !== null);
  assert.ok(new Set(etas).size >= 3, `the ETA counts down and updates: ${[...new Set(etas)].join(", ")}`);
  const totals = new Set(queued.map((s) => s.text.split("/").at(-1)));
  assert.ok(totals.size >= 1);
  const progress = [...new Set(samples.map((s) => s.progress).filter((p): p is number => p !== null))];
  assert.ok(progress.length >= 3, `the progress bar moved: ${progress.join(", ")}`);
  assert.ok(
    progress.every((p, i) => i === 0 || p > progress[i - 1]!),
    "and only forward",
  );
  assert.ok(
    samples.some((s) => s.text.startsWith("processing |")),
    "a running status",
  );
  // The status is gone once the result is in.
  assert.equal(await page.getByTestId("status").count(), 0);
  await page.close();
});
