/** randomTokens: the shape of its tokens, across draws, and the base64url byte rule. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { randomTokens } from "../src/randomTokens.ts";

test("tokens keep their length and alphabet across draws, and do not repeat", () => {
  const hex = randomTokens(16, "hex", 4);
  const b64 = randomTokens(9, "base64url", 4);
  const seen = new Set<string>();
  // Ten draws of each: every boundary between draws is crossed.
  for (let i = 0; i < 40; i++) {
    const h = hex();
    const b = b64();
    assert.match(h, /^[0-9a-f]{32}$/);
    assert.match(b, /^[A-Za-z0-9_-]{12}$/);
    seen.add(h).add(b);
  }
  assert.equal(seen.size, 80);
});

test("base64url tokens need whole 3-byte groups", () => {
  assert.throws(() => randomTokens(16, "base64url", 4), RangeError);
});
