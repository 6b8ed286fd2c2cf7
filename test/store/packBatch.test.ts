/**
 * A batch's arguments (issue 16): a call that repeats most arguments of the previous call of its
 * script goes as the positions that differ and their values; every other call goes whole. The
 * batch's Lua rebuilds each call's arguments (test/store/ScriptBatch.test.ts runs such batches on
 * Redis, as the script and as the function).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { packBatch } from "../../src/store/redisBatch.ts";

const HEAD = ["{p:}", "node"];
/** The positions string of changed positions `ks` (from 1). */
const at = (...ks: number[]): string => String.fromCharCode(...ks);

describe("packBatch", () => {
  it("sends the first call of each script whole, then only what changed", () => {
    const args = (e: string, lease: string): (string | number)[] => [e, "s", 0, "default", "", 600000, lease, "x"];
    assert.deepEqual(
      packBatch(HEAD, [
        { name: "usherEnqueue", args: args("e1", "l1") },
        { name: "usherRelease", args: ["e0", "l0", "default"] },
        { name: "usherEnqueue", args: args("e2", "l2") },
        { name: "usherEnqueue", args: args("e3", "l2") },
      ]),
      [
        ...HEAD,
        -4,
        ...["usherEnqueue", 8, "e1", "s", 0, "default", "", 600000, "l1", "x"],
        ...["usherRelease", 3, "e0", "l0", "default"],
        ...["usherEnqueue", -8, at(1, 7), "e2", "l2"],
        ...["usherEnqueue", -8, at(1), "e3"],
      ],
    );
  });

  it("sends a call equal to the previous one as no position at all", () => {
    const same = ["a", "b", "c"];
    assert.deepEqual(
      packBatch(HEAD, [
        { name: "usherClaim", args: same },
        { name: "usherClaim", args: [...same] },
      ]),
      [...HEAD, -2, "usherClaim", 3, "a", "b", "c", "usherClaim", -3, ""],
    );
  });

  it("sends a call whole when it would save nothing, differs in length, or is too long to name its positions", () => {
    const long = Array.from({ length: 128 }, (_, i) => `a${i}`);
    const packed = packBatch(HEAD, [
      { name: "usherClaim", args: ["a", "b"] },
      // Two arguments, one changed: the positions string would cost what it saves.
      { name: "usherClaim", args: ["a", "c"] },
      { name: "usherClaim", args: ["a", "c", "d"] },
      { name: "usherPublish", args: long },
      { name: "usherPublish", args: [...long.slice(0, 127), "z"] },
      // A number and its text differ: sent, never assumed equal.
      { name: "usherRelease", args: ["1", "x", "y"] },
      { name: "usherRelease", args: [1, "x", "y"] },
    ]);
    assert.deepEqual(packed, [
      ...HEAD,
      -7,
      ...["usherClaim", 2, "a", "b"],
      ...["usherClaim", 2, "a", "c"],
      ...["usherClaim", 3, "a", "c", "d"],
      ...["usherPublish", 128, ...long],
      ...["usherPublish", 128, ...long.slice(0, 127), "z"],
      ...["usherRelease", 3, "1", "x", "y"],
      ...["usherRelease", -3, at(1), 1],
    ]);
  });
});
