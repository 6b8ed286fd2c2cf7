import assert from "node:assert/strict";
import { test } from "node:test";
import { QuietStarts } from "../../src/store/QuietStarts.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";

/** A QuietStarts of node "me" on a manual clock, and the starts it sent: [origin, ids]. */
function quietStarts(): { quiet: QuietStarts; clock: ManualClock; sent: [string, string[]][] } {
  const clock = new ManualClock();
  const sent: [string, string[]][] = [];
  const quiet = new QuietStarts(clock, "me", (origin, ids) => sent.push([origin, [...ids]]));
  return { quiet, clock, sent };
}

test("is quiet only from a count that found every live node quiet", () => {
  const { quiet } = quietStarts();
  assert.equal(quiet.on, false, "not before a heartbeat counted");
  quiet.counted(true, quiet.hellos);
  assert.equal(quiet.on, true);
  quiet.heardHello(["s", "q"]);
  assert.equal(quiet.on, true, "a quiet node's hello changes nothing");
  const before = quiet.hellos;
  quiet.heardHello(["s"]);
  assert.equal(quiet.on, false, "a hello without `q`: an earlier revision");
  quiet.counted(true, before);
  assert.equal(quiet.on, false, "a count sent before that hello may have missed its node");
  quiet.counted(true, quiet.hellos);
  assert.equal(quiet.on, true);
  quiet.counted(false, quiet.hellos);
  assert.equal(quiet.on, false, "a count that found a node not quiet");
  quiet.counted(true, quiet.hellos);
  quiet.broke();
  assert.equal(quiet.on, false, "after a break of the connections, until the next count");
});

test("owes a start, at the end of the claim's turn, only for another origin's job whose final is not out", async () => {
  const { quiet, clock, sent } = quietStarts();
  quiet.counted(true, quiet.hellos);
  quiet.claimed(["a1", "mine", "b1"], ["A", "me", "B"]);
  quiet.claimed(["a2", "a3", "x"], ["A", "A", ""]);
  quiet.ended("a2");
  assert.deepEqual(sent, [], "nothing before the turn ends");
  assert.equal(clock.deferredCount, 1, "one check a turn");
  await clock.advance(0);
  assert.deepEqual(sent, [
    ["A", ["a1", "a3"]],
    ["B", ["b1"]],
  ]);
  // A final after the turn owes nothing more; the next turn starts empty.
  quiet.ended("a1");
  quiet.claimed(["b2"], ["B"]);
  quiet.ended("b2");
  await clock.advance(0);
  assert.deepEqual(sent.length, 2, "b2 ended in its turn: its final tells its start");
  assert.equal(clock.deferredCount, 0);
});

test("owes every start of its quiet claims when a node that needs them came during the turn", async () => {
  const { quiet, clock, sent } = quietStarts();
  quiet.counted(true, quiet.hellos);
  quiet.claimed(["a1", "a2"], ["A", "A"]);
  quiet.ended("a1");
  quiet.heardHello(["s"]);
  await clock.advance(0);
  assert.deepEqual(sent, [["A", ["a1", "a2"]]]);
});
