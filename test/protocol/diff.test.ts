import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { applyDiff, diff } from "../../src/protocol/diff.ts";
import { StreamDiffer } from "../../src/protocol/messages.ts";

test("appending to a string is one append edit", () => {
  assert.deepEqual(diff("He", "Hello"), [["append", [], "llo"]]);
});

test("equal values give no edits; a changed type is a replace", () => {
  assert.deepEqual(diff({ a: [1, 2] }, { a: [1, 2] }), []);
  assert.deepEqual(diff("x", 3), [["replace", [], 3]]);
  assert.deepEqual(diff(null, [1]), [["replace", [], [1]]]);
});

test("list tail deletes run from the highest index, so splice removes the right items", () => {
  const edits = diff([1, 2, 3, 4], [1]);
  assert.deepEqual(edits, [
    ["delete", [3], null],
    ["delete", [2], null],
    ["delete", [1], null],
  ]);
  assert.deepEqual(applyDiff([1, 2, 3, 4], edits), [1]);
});

test("chat history growth diffs as appends and adds", () => {
  const prev = [
    { role: "user", content: "hi" },
    { role: "assistant", content: "Hel" },
  ];
  const next = [
    { role: "user", content: "hi" },
    { role: "assistant", content: "Hello" },
    { role: "user", content: "x" },
  ];
  const edits = diff(prev, next);
  assert.deepEqual(edits, [
    ["append", [1, "content"], "lo"],
    ["add", [2], { role: "user", content: "x" }],
  ]);
  assert.deepEqual(applyDiff(structuredClone(prev), edits), next);
});

test("property: applying diff(prev, next) to prev gives next", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }), (a, b) => {
      const prev = JSON.parse(JSON.stringify(a)) as unknown;
      const next = JSON.parse(JSON.stringify(b)) as unknown;
      const edits = JSON.parse(JSON.stringify(diff(prev, next))) as ReturnType<typeof diff>;
      assert.deepEqual(applyDiff(structuredClone(prev), edits), next);
    }),
    { numRuns: 500 },
  );
});

test("StreamDiffer sends full values first, then per-output diffs", () => {
  const d = new StreamDiffer();
  assert.deepEqual(d.chunk("e1", ["H", 1]), ["H", 1]);
  assert.deepEqual(d.chunk("e1", ["Hi", 1]), [[["append", [], "i"]], []]);
  d.end("e1");
  assert.deepEqual(d.chunk("e1", ["x", 2]), ["x", 2]);
});
