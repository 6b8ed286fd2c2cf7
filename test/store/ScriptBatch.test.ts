/**
 * The hot-path script calls of one turn run as one batch script call (issue 16): each call still
 * gets its own result or error, in the order made, a command made between them keeps its place,
 * and a Redis that forgot its scripts runs the batch from its text.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Command, Redis } from "ioredis";
import { RedisLink } from "../../src/store/RedisLink.ts";
import { ScriptBatch } from "../../src/store/ScriptBatch.ts";
import { sha1 } from "../../src/store/callScript.ts";
import { BATCH_LUA } from "../../src/store/redisBatch.ts";
import { SCRIPTS } from "../../src/store/redisScripts.ts";
import { resolveRedisStoreOptions } from "../../src/store/RedisStoreOptions.ts";
import { rawRedis, REDIS_URL, storeKey, testPrefix } from "../helpers/redis.ts";

/** The names of the commands `client` sends from now on, in order; a script by hash as "evalsha <sha>". */
function recordSent(client: Redis): string[] {
  const sent: string[] = [];
  const original = client.sendCommand.bind(client);
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    sent.push(command.name === "evalsha" ? `evalsha ${String(command.args[0])}` : command.name);
    return (original as (...a: unknown[]) => unknown)(command, ...rest);
  }) as typeof client.sendCommand;
  return sent;
}

const BATCH_SHA = sha1(BATCH_LUA);

/** A claim request for pool `pool` (limit 4) that claims nothing ("" lease): the script answers {false, 1}. */
const noClaim = (pool: string): string[] => ["1", "", "30000", "", "", "0", "0", "1", pool, "4", "0"];
/** The same, claiming: it reads the pool's running claims (ZCARD run:<pool>). */
const claim = (pool: string): string[] => ["1", "lease-x", "30000", "", "", "0", "0", "1", pool, "4", "0"];

describe("ScriptBatch", () => {
  const redis = rawRedis();

  it("runs the calls of one turn as one command, each with its own result or error, in order", async () => {
    const prefix = storeKey(testPrefix("batch"), "");
    await redis.set(`${prefix}run:broken`, "not a sorted set");
    const sent = recordSent(redis);
    const batch = new ScriptBatch(redis, `${prefix}seq`, prefix, "node");
    const calls = [
      batch.add("usherClaim", noClaim("default")),
      batch.add("usherClaim", claim("broken")),
      batch.add("usherClaim", claim("default")),
    ];
    batch.flush();
    const [first, second, third] = await Promise.allSettled(calls);
    assert.deepEqual(first, { status: "fulfilled", value: [null, 1] });
    assert.equal(second?.status, "rejected");
    assert.match(String((second as PromiseRejectedResult).reason), /WRONGTYPE/);
    assert.equal((second as PromiseRejectedResult).reason.name, "ReplyError");
    assert.deepEqual(third, { status: "fulfilled", value: [null, 0] });
    // (An "eval" would follow if another test file flushed the scripts meanwhile.)
    assert.deepEqual(
      sent.filter((c) => c !== "eval"),
      [`evalsha ${BATCH_SHA}`],
    );
  });

  it("gives each call of a batch its own claim request: pools, lease and time", async () => {
    const prefix = storeKey(testPrefix("batch"), "");
    // Two events waiting in pool b (fairness off: each its own lane), none in pool a.
    for (const [i, e] of ["e1", "e2"].entries()) {
      const m = `0:${String(i + 1).padStart(15, "0")}:1000:${e}`;
      await redis.hset(`${prefix}job:${e}`, {
        json: `{"eventId":"${e}"}`,
        pool: "b",
        fn: "0",
        seq: i + 1,
        origin: "o",
        tries: 0,
        m,
      });
      await redis.zadd(`${prefix}wait:b`, i + 1, m);
    }
    // alone, lease, leaseMs, now, expiry, priorityAgingMs, fair, one pool (limit 4), no batching function.
    const ask = (pool: string, lease: string, now: number): string[] => [
      "1",
      lease,
      "30000",
      String(now),
      String(now + 30000),
      "0",
      "0",
      "1",
      pool,
      "4",
      "0",
    ];
    const batch = new ScriptBatch(redis, `${prefix}seq`, prefix, "node");
    const calls = [
      batch.add("usherClaim", ask("a", "la", 5000)),
      batch.add("usherClaim", ask("b", "lb1", 5001)),
      batch.add("usherClaim", ask("b", "lb2", 5002)),
      batch.add("usherClaim", ask("a", "la2", 5003)),
    ];
    batch.flush();
    assert.deepEqual(await Promise.all(calls), [
      [null, 0],
      [["b", "0", '{"eventId":"e1"}', "o"], 1],
      [["b", "0", '{"eventId":"e2"}', "o"], 1],
      [null, 0],
    ]);
    assert.deepEqual(await redis.zrange(`${prefix}run:b`, 0, -1, "WITHSCORES"), ["e1|lb1", "35001", "e2|lb2", "35002"]);
    assert.deepEqual(await redis.hmget(`${prefix}job:e2`, "lease", "node", "start", "tries", "pos"), [
      "lb2",
      "node",
      "5002",
      "1",
      "2",
    ]);
    assert.equal(await redis.exists(`${prefix}run:a`), 0);
  });

  it("sends a lone call as its own script, and either from its text when Redis forgot every script", async () => {
    const prefix = storeKey(testPrefix("batch"), "");
    await redis.script("FLUSH");
    const sent = recordSent(redis);
    const batch = new ScriptBatch(redis, `${prefix}seq`, prefix, "node");
    const lone = batch.add("usherClaim", noClaim("default"));
    batch.flush();
    assert.deepEqual(await lone, [null, 1]);
    const two = [batch.add("usherClaim", noClaim("a")), batch.add("usherClaim", noClaim("b"))];
    batch.flush();
    assert.deepEqual(await Promise.all(two), [
      [null, 1],
      [null, 1],
    ]);
    // Each by its hash first (NOSCRIPT), then by its text.
    assert.deepEqual(sent, [`evalsha ${sha1(SCRIPTS.usherClaim)}`, "eval", `evalsha ${BATCH_SHA}`, "eval"]);
  });

  it("a command made between two calls leaves between them (the link flushes the batch first)", async () => {
    const link = new RedisLink(resolveRedisStoreOptions({ url: REDIS_URL, keyPrefix: testPrefix("batch") }));
    try {
      await link.ready(5000);
      const sent = recordSent(link.cmd as Redis);
      const a = link.run("usherClaim", ...noClaim("default"));
      const b = link.run("usherClaim", ...noClaim("default"));
      const plain = link.call((r) => r.get(`${link.prefix}nothing`));
      const c = link.run("usherClaim", ...noClaim("default"));
      const d = link.run("usherClaim", ...noClaim("default"));
      assert.deepEqual(await Promise.all([a, b, plain, c, d]), [[null, 1], [null, 1], null, [null, 1], [null, 1]]);
      // (The link's heartbeat may send scripts of its own meanwhile.)
      assert.deepEqual(
        sent.filter((c) => c === "get" || c === `evalsha ${BATCH_SHA}`),
        [`evalsha ${BATCH_SHA}`, "get", `evalsha ${BATCH_SHA}`],
      );
    } finally {
      await link.close();
    }
  });
});
