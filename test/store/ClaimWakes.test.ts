import assert from "node:assert/strict";
import { test } from "node:test";
import { CLAIM_WAKE_WINDOW_MS, ClaimWakes } from "../../src/store/ClaimWakes.ts";
import type { RedisLink } from "../../src/store/RedisLink.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";

function fakeLink(alone: boolean): { link: RedisLink; woken: string[]; clock: ManualClock } {
  const clock = new ManualClock();
  const woken: string[] = [];
  const link = { alone, clock, wake: (kind: string, ...args: unknown[]) => woken.push([kind, ...args].join(" ")) };
  return { link: link as unknown as RedisLink, woken, clock };
}

test("the first claim of a window tells the others itself; later ones are told once per pool at its end", async () => {
  const { link, woken, clock } = fakeLink(false);
  const wakes = new ClaimWakes(link);
  assert.equal(wakes.flag(), "0", "the first script publishes its own `c`");
  wakes.claimed("0", "default");
  const quiet = [wakes.flag(), wakes.flag(), wakes.flag()];
  assert.deepEqual(quiet, ["q", "q", "q"]);
  wakes.claimed("q", "default");
  wakes.claimed("q", "default");
  wakes.claimed("q", "fn:2");
  assert.deepEqual(woken, [], "nothing before the window ends");
  await clock.advance(CLAIM_WAKE_WINDOW_MS);
  assert.deepEqual(woken, ["c default", "c fn:2"]);
  assert.equal(wakes.flag(), "0", "a new window: the next claim tells the others itself again");
  await clock.advance(CLAIM_WAKE_WINDOW_MS);
  assert.deepEqual(woken, ["c default", "c fn:2"], "a window with no quiet claim publishes nothing");
});

test("a node alone publishes nothing and opens no window; close stops a window", async () => {
  const alone = fakeLink(true);
  const wakes = new ClaimWakes(alone.link);
  assert.equal(wakes.flag(), "1");
  assert.equal(wakes.flag(), "1");
  const busy = fakeLink(false);
  const other = new ClaimWakes(busy.link);
  other.flag();
  assert.equal(other.flag(), "q");
  other.claimed("q", "default");
  other.close();
  await busy.clock.advance(CLAIM_WAKE_WINDOW_MS * 2);
  assert.deepEqual(busy.woken, []);
});
