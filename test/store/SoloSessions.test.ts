import assert from "node:assert/strict";
import { test } from "node:test";
import { SoloSessions } from "../../src/store/SoloSessions.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";

test("holds a session solo from its owner's record until another node touches it", () => {
  const solo = new SoloSessions(60_000, 60_000);
  solo.recorded("S");
  assert.equal(solo.has("S"), false, "not before a heartbeat counted every node a teller");
  solo.counted(true);
  solo.recorded("S");
  assert.equal(solo.has("S"), true);
  assert.equal(solo.heard("s", "S"), "S", "held solo: the caller catches up");
  assert.equal(solo.has("S"), false);
  assert.equal(solo.heard("s", "S"), null, "no longer held solo");
  // Touched elsewhere lately (an adoption before any join): a record is no proof.
  solo.recorded("S");
  assert.equal(solo.has("S"), false);
});

test("holds nothing solo while a node that does not tell lives, nor past its time", async () => {
  const clock = new ManualClock();
  const solo = new SoloSessions(30, 60_000, clock);
  solo.counted(true);
  solo.recorded("A");
  assert.equal(solo.heard("h", "s"), null);
  assert.equal(solo.has("A"), true, "a hello of a teller changes nothing");
  solo.heard("h", undefined);
  assert.equal(solo.has("A"), false, "a hello without `s`: an earlier revision");
  solo.recorded("B");
  assert.equal(solo.has("B"), false);
  solo.counted(true);
  solo.recorded("B");
  solo.counted(false);
  assert.equal(solo.has("B"), false, "a count that found a node not telling");
  solo.counted(true);
  solo.recorded("C");
  await clock.advance(29);
  assert.equal(solo.has("C"), true, "within half the owner record's TTL");
  await clock.advance(1);
  assert.equal(solo.has("C"), false, "past half the owner record's TTL");
});

test("a refreshed owner record keeps its session solo another half TTL; a shorter TTL lets the longer ones go", async () => {
  const clock = new ManualClock();
  const solo = new SoloSessions(100, 60_000, clock);
  solo.counted(true);
  solo.recorded("A");
  await clock.advance(60);
  solo.extend("A");
  await clock.advance(90);
  assert.equal(solo.has("A"), true, "refreshed at 60: solo until 160");
  await clock.advance(10);
  assert.equal(solo.has("A"), false);
  solo.recorded("B");
  await clock.advance(100);
  solo.extend("B");
  assert.equal(solo.has("B"), false, "past its time: the record may have expired, nothing revives it");
  solo.recorded("C");
  solo.useValidMs(50);
  assert.equal(solo.has("C"), false, "held under the longer TTL: let go");
  solo.recorded("D");
  await clock.advance(49);
  assert.equal(solo.has("D"), true);
  await clock.advance(1);
  assert.equal(solo.has("D"), false, "half the new TTL");
});
