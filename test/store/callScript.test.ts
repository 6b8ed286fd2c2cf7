/**
 * The store's scripts run by their hash, and by their text when Redis does not have them (a fresh
 * or restarted Redis: `SCRIPT FLUSH` here); a script's own error reaches the caller as it is.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callScript } from "../../src/store/callScript.ts";
import { rawRedis, storeKey, testPrefix } from "../helpers/redis.ts";

describe("callScript", () => {
  const redis = rawRedis();
  const prefix = storeKey(testPrefix("scripts"), "");

  it("runs a script, again after Redis forgot every script, and gives its reply decoded", async () => {
    await redis.sadd(`${prefix}pools`, "default");
    await redis.zadd(`${prefix}wait:default`, 1, "a", 2, "b");
    const call = () => callScript(redis, "usherPoolSizes", `${prefix}seq`, [prefix, "node"]);
    assert.deepEqual(await call(), ["default", 2]);
    await redis.script("FLUSH");
    assert.deepEqual(await call(), ["default", 2]);
    assert.deepEqual(await call(), ["default", 2]);
  });

  it("passes a script's own error on", async () => {
    await redis.set(`${prefix}pools`, "not a set");
    await assert.rejects(callScript(redis, "usherPoolSizes", `${prefix}seq`, [prefix, "node"]), /WRONGTYPE/);
  });
});
