/**
 * Time is injected: every timer in src/ goes through a Clock, so that the timers of the server's
 * own machinery (refusal windows, pings, sweeps) run on a ManualClock here, without sleeping.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { every } from "../src/clock.ts";
import { RefusalLog } from "../src/server/RefusalLog.ts";
import type { WsChannel } from "../src/server/ws/WsChannel.ts";
import { WsPinger } from "../src/server/ws/WsPinger.ts";
import { FileSweeper } from "../src/store/FileSweeper.ts";
import { ManualClock } from "../src/testing/ManualClock.ts";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

test("no timer in src/ bypasses the Clock", async () => {
  // The clocks themselves are exempt; wall time (file times, token expiry) is read through a
  // replaceable `now` whose default is Date.now.
  const exempt = new Set(["clock.ts", "testing/ManualClock.ts"]);
  const wallTimeDefaults = new Set([
    "server/auth/Authenticator.ts: Date.now",
    "compose/launchApp.ts: Date.now",
    "server/SessionOwners.ts: Date.now",
    "store/FileSweeper.ts: Date.now",
  ]);
  const found: string[] = [];
  for (const path of await sourceFiles(SRC)) {
    const file = relative(SRC, path);
    if (exempt.has(file)) continue;
    for (const line of (await readFile(path, "utf8")).split("\n")) {
      if (/^\s*(\*|\/\/|\/\*)/.test(line)) continue; // a comment
      for (const m of line.matchAll(/(?<![.\w#])(setTimeout|setInterval|setImmediate|Date\.now|performance\.now)\b/g)) {
        const key = `${file}: ${m[1]}`;
        if (!wallTimeDefaults.has(key)) found.push(`${key}   (${line.trim()})`);
      }
    }
  }
  assert.deepEqual(found, [], "timers outside the Clock");
});

test("every(): repeats on the clock until stopped, also from inside its callback", async () => {
  const clock = new ManualClock();
  const at: number[] = [];
  const r = every(clock, 100, () => at.push(clock.now()));
  await clock.advance(350);
  assert.deepEqual(at, [100, 200, 300]);
  r.stop();
  await clock.advance(1000);
  assert.deepEqual(at, [100, 200, 300]);
  assert.equal(clock.pending, 0);

  const twice = every(clock, 10, () => {
    if (clock.now() >= 1370) twice.stop();
  });
  await clock.advance(100);
  assert.equal(clock.pending, 0, "stopped by its own callback");
});

test("RefusalLog: one line at the first refusal, then one summary per window while they go on", async () => {
  const clock = new ManualClock();
  const lines: Record<string, unknown>[] = [];
  const log = { warn: (obj: Record<string, unknown>, msg: string) => lines.push({ ...obj, msg }) };
  const refusals = new RefusalLog(log as never, 50, clock);
  for (let i = 0; i < 1000; i++) refusals.note(i % 2 === 0 ? "QUEUE_FULL" : "BAD_REQUEST", 503);
  assert.deepEqual(
    lines.map((l) => l["msg"]),
    ["refusing requests"],
  );
  await clock.advance(49);
  assert.equal(lines.length, 1, "the window is not over");
  await clock.advance(1);
  assert.deepEqual(lines[1], {
    refused: 999,
    byCode: { BAD_REQUEST: 500, QUEUE_FULL: 499 },
    windowMs: 50,
    msg: "refused requests",
  });
  // A quiet window ends the burst: the next refusal logs at once again.
  await clock.advance(50);
  assert.equal(clock.pending, 0);
  refusals.note("QUEUE_FULL", 503);
  assert.equal(lines.at(-1)?.["msg"], "refusing requests");
  refusals.note("QUEUE_FULL", 503);
  refusals.close();
  assert.deepEqual(lines.at(-1), { refused: 1, byCode: { QUEUE_FULL: 1 }, windowMs: 50, msg: "refused requests" });
  assert.equal(clock.pending, 0, "close stops the window");
});

test("WsPinger: one timer for all channels, a tick per interval, none once the last leaves", async () => {
  const clock = new ManualClock();
  const pinger = new WsPinger(1000, clock);
  const ticks = [0, 0];
  const channels = ticks.map((_, i) => ({ tick: () => ticks[i]!++ }) as unknown as WsChannel);
  for (const c of channels) pinger.add(c);
  assert.equal(clock.pending, 1);
  await clock.advance(2500);
  assert.deepEqual(ticks, [2, 2]);
  pinger.remove(channels[0]!);
  await clock.advance(1000);
  assert.deepEqual(ticks, [2, 3]);
  pinger.remove(channels[1]!);
  assert.equal(clock.pending, 0);
});

test("FileSweeper sweeps every interval on its clock", async () => {
  const clock = new ManualClock();
  const sweeper = new FileSweeper({ root: join(SRC, "..", "no-such-folder"), ttlMs: 4000, clock });
  let sweeps = 0;
  const sweep = sweeper.sweep.bind(sweeper);
  sweeper.sweep = () => (sweeps++, sweep());
  sweeper.start();
  await clock.advance(1000);
  assert.equal(sweeps, 1, "a quarter of ttlMs");
  await clock.advance(2000);
  assert.equal(sweeps, 3);
  await sweeper.stop();
  assert.equal(clock.pending, 0);
});

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out.sort();
}
