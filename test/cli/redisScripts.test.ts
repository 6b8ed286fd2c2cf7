/**
 * `usher redis-scripts <folder>`: the protocol's Lua as files, for a worker in another language on
 * Redis 6.2 or a Cluster (no function to find there). The files are the texts the store runs, and
 * one loaded from its file answers as the store's own call does.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { Redis } from "ioredis";
import { REDIS_BATCH_LIBRARY, REDIS_SCRIPTS } from "../../src/redis.ts";
import { makeRedisStore, REDIS_URL } from "../helpers/redis.ts";
import { appFolder, usherCli } from "./usherCli.ts";

test("writes every script and the batch library; a script sent from its file works on the store's keys", async () => {
  const dir = await appFolder();
  const c = usherCli(["redis-scripts", "lua"], dir);
  const [code] = (await once(c.child, "close")) as [number];
  assert.equal(code, 0, c.output());
  const files = (await readdir(join(dir, "lua"))).sort();
  assert.deepEqual(files, [...Object.keys(REDIS_SCRIPTS).map((n) => `${n}.lua`), "usher_batch.lua"].sort());
  for (const [name, text] of Object.entries(REDIS_SCRIPTS))
    assert.equal(await readFile(join(dir, "lua", `${name}.lua`), "utf8"), text, name);
  assert.equal(await readFile(join(dir, "lua", "usher_batch.lua"), "utf8"), REDIS_BATCH_LIBRARY);

  // A store with one event waiting; `usherPoolSizes` from its file sees it.
  const store = await makeRedisStore();
  const redis = new Redis(REDIS_URL);
  try {
    const result = await store.enqueue(
      {
        eventId: "e".repeat(32),
        sessionHash: "s1",
        fnId: 0,
        poolId: "default",
        data: ["x"],
        rootUrl: "",
        meta: {},
        enqueuedAtMs: 0,
      },
      null,
    );
    assert.equal(result.accepted, true);
    const lua = await readFile(join(dir, "lua", "usherPoolSizes.lua"), "utf8");
    // P: the braced prefix every key of the queue starts with.
    const p = store.keyPrefix;
    assert.match(p, /^\{.*\}$/);
    const sizes = (await redis.eval(lua, 1, `${p}seq`, p, "0123456789abcdef")) as unknown[];
    assert.deepEqual(sizes, ["default", 1]);
  } finally {
    redis.disconnect();
    await store.close();
  }
});
