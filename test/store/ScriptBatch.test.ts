/**
 * The hot-path script calls of one turn run as one batch script call (issue 16): each call still
 * gets its own result or error, in the order made, a command made between them keeps its place,
 * and a Redis that forgot its scripts runs the batch from its text. On Redis 7 the batch runs as
 * a function with the same results; a Redis that lost the library gets it again, and one without
 * functions gets the script. A call sent as the arguments that changed since the previous call of
 * its script in the batch runs as if sent whole.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Command, type Redis, ReplyError } from "ioredis";
import { RedisLink } from "../../src/store/RedisLink.ts";
import { ScriptBatch, SOON_WINDOW_MS } from "../../src/store/ScriptBatch.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import { sha1 } from "../../src/store/callScript.ts";
import { BATCH_FUNCTION, BATCH_LIBRARY, BATCH_LUA } from "../../src/store/redisBatch.ts";
import { SCRIPTS } from "../../src/store/redisScripts.ts";
import { resolveRedisStoreOptions } from "../../src/store/RedisStoreOptions.ts";
import { rawRedis, REDIS_URL, storeKey, testPrefix } from "../helpers/redis.ts";

/**
 * The names of the commands `client` sends from now on, in order; a script by hash as
 * "evalsha <sha>", a function call as "fcall <name>".
 */
function recordSent(client: Redis): string[] {
  const sent: string[] = [];
  const original = client.sendCommand.bind(client);
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    const named = command.name === "evalsha" || command.name === "fcall";
    sent.push(named ? `${command.name} ${String(command.args[0])}` : command.name);
    return (original as (...a: unknown[]) => unknown)(command, ...rest);
  }) as typeof client.sendCommand;
  return sent;
}

const BATCH_SHA = sha1(BATCH_LUA);
/** The library's name, from its first line (`#!lua name=…`). */
const BATCH_LIBRARY_NAME = /name=(\S+)/.exec(BATCH_LIBRARY)?.[1] ?? "";

/** A claim request for pool `pool` (limit 4) that claims nothing ("" lease): the script answers {false, 1}. */
const noClaim = (pool: string): string[] => ["1", "", "30000", "", "", "0", "0", "", "1", pool, "4", "0"];
/** The same, claiming: it reads the pool's running claims (ZCARD run:<pool>). */
const claim = (pool: string): string[] => ["1", "lease-x", "30000", "", "", "0", "0", "", "1", pool, "4", "0"];

describe("ScriptBatch", () => {
  const redis = rawRedis();
  /** A batch on `redis` that sends its calls as the script, or as the function (Redis 7 here). */
  const batchOf = async (mode: "script" | "function", prefix: string): Promise<ScriptBatch> => {
    const batch = new ScriptBatch(redis, `${prefix}seq`, prefix, "node");
    if (mode === "function") assert.equal(await batch.useFunction(), true);
    return batch;
  };

  for (const mode of ["script", "function"] as const) {
    it(`runs the calls of one turn as one command, each with its own result or error, in order (${mode})`, async () => {
      const prefix = storeKey(testPrefix("batch"), "");
      await redis.set(`${prefix}run:broken`, "not a sorted set");
      const batch = await batchOf(mode, prefix);
      const sent = recordSent(redis);
      const calls = [
        batch.add("usherClaim", noClaim("default")),
        batch.add("usherClaim", claim("broken")),
        batch.add("usherClaim", claim("default")),
        // A message of an event that is not pending: publish drops it (false, null here).
        batch.add("usherPublish", ["h", "gone", "generating", "{}", "0", "600000", "1000", "", "1"]),
      ];
      batch.flush();
      const [first, second, third, fourth] = await Promise.allSettled(calls);
      assert.deepEqual(fourth, { status: "fulfilled", value: null });
      assert.deepEqual(first, { status: "fulfilled", value: [null, 1] });
      assert.equal(second?.status, "rejected");
      assert.match(String((second as PromiseRejectedResult).reason), /WRONGTYPE/);
      assert.equal((second as PromiseRejectedResult).reason.name, "ReplyError");
      assert.deepEqual(third, { status: "fulfilled", value: [null, 0] });
      // (An "eval" or a "function" load would follow if another test file flushed the scripts or
      // functions meanwhile.)
      assert.deepEqual(
        sent.filter((c) => c !== "eval" && c !== "FUNCTION"),
        [mode === "script" ? `evalsha ${BATCH_SHA}` : `fcall ${BATCH_FUNCTION}`],
      );
    });

    it(`replies {1, result} or {0, message} per call to a count sent as it is, as a worker of another language sends it (${mode})`, async () => {
      const prefix = storeKey(testPrefix("batch"), "");
      await redis.set(`${prefix}run:broken`, "not a sorted set");
      // The function mode's batch loads the library; the script is sent whole.
      await batchOf(mode, prefix);
      const args = [prefix, "node", 2, "usherClaim", 12, ...claim("broken"), "usherClaim", 12, ...noClaim("default")];
      const reply = (
        mode === "function"
          ? await redis.call("FCALL", BATCH_FUNCTION, 1, `${prefix}seq`, ...args)
          : await redis.eval(BATCH_LUA, 1, `${prefix}seq`, ...args)
      ) as [number, unknown][];
      assert.equal(reply.length, 2);
      assert.equal(reply[0]?.[0], 0);
      assert.match(String(reply[0]?.[1]), /WRONGTYPE/);
      assert.deepEqual(reply[1], [1, [null, 1]]);
    });

    it(`runs a call sent as the arguments that changed with the rest of the previous call's (${mode})`, async () => {
      const prefix = storeKey(testPrefix("batch"), "");
      await redis.set(`${prefix}run:broken`, "not a sorted set");
      const batch = await batchOf(mode, prefix);
      const calls = [
        batch.add("usherClaim", claim("broken")),
        // The same arguments again (no position changed), then one pool's name changed.
        batch.add("usherClaim", claim("broken")),
        batch.add("usherClaim", claim("default")),
        batch.add("usherClaim", claim("broken")),
      ];
      batch.flush();
      const results = await Promise.allSettled(calls);
      assert.deepEqual(
        results.map((r) => r.status),
        ["rejected", "rejected", "fulfilled", "rejected"],
      );
      for (const r of [results[0], results[1], results[3]])
        assert.match(String((r as PromiseRejectedResult).reason), /WRONGTYPE/);
      assert.deepEqual(results[2], { status: "fulfilled", value: [null, 0] });
    });

    it(`gives each call of a batch its own claim request: pools, lease and time (${mode})`, async () => {
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
      // alone, lease, leaseMs, now, expiry, priorityAgingMs, fair, quiet, one pool (limit 4), no batching function.
      const ask = (pool: string, lease: string, now: number): string[] => [
        "1",
        lease,
        "30000",
        String(now),
        String(now + 30000),
        "0",
        "0",
        "",
        "1",
        pool,
        "4",
        "0",
      ];
      const batch = await batchOf(mode, prefix);
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
      assert.deepEqual(await redis.zrange(`${prefix}run:b`, 0, -1, "WITHSCORES"), [
        "e1|lb1",
        "35001",
        "e2|lb2",
        "35002",
      ]);
      assert.deepEqual(await redis.hmget(`${prefix}job:e2`, "lease", "node", "start", "tries", "pos"), [
        "lb2",
        "node",
        "5002",
        "1",
        "2",
      ]);
      assert.equal(await redis.exists(`${prefix}run:a`), 0);
    });
  }

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
      // (Redis 7 here: the link sends the batch as the function.)
      const batch = `fcall ${BATCH_FUNCTION}`;
      assert.deepEqual(
        sent.filter((c) => c === "get" || c === batch),
        [batch, "get", batch],
      );
    } finally {
      await link.close();
    }
  });

  it("with functions, a lone call goes as a batch of one, and a Redis that lost the library loads it again", async () => {
    const prefix = storeKey(testPrefix("batch"), "");
    const batch = await batchOf("function", prefix);
    await redis.call("FUNCTION", "DELETE", BATCH_LIBRARY_NAME);
    const sent = recordSent(redis);
    assert.deepEqual(await batch.run("usherClaim", noClaim("default"), false), [null, 1]);
    // Not found, loaded ("FUNCTION"), called again; another test file may have loaded it first.
    assert.ok(
      sent.join() === [`fcall ${BATCH_FUNCTION}`, "FUNCTION", `fcall ${BATCH_FUNCTION}`].join() ||
        sent.join() === `fcall ${BATCH_FUNCTION}`,
      sent.join(),
    );
    assert.deepEqual(await batch.run("usherClaim", noClaim("default"), false), [null, 1]);
  });

  it("a Redis without functions (before 7.0, failed over to one, a user the ACL stops), or out of memory, gets the script", async () => {
    const prefix = storeKey(testPrefix("batch"), "");
    const old = rawRedis();
    await old.ping();
    const unknown = (verb: string): InstanceType<typeof ReplyError> =>
      new ReplyError(`ERR unknown command '${verb}', with args beginning with: `);
    const originalCall = old.call.bind(old);
    old.call = ((...a: Parameters<typeof old.call>) =>
      String(a[0]).toUpperCase() === "FUNCTION"
        ? Promise.reject(unknown("FUNCTION"))
        : (originalCall as (...x: unknown[]) => unknown)(...a)) as typeof old.call;
    const batch = new ScriptBatch(old, `${prefix}seq`, prefix, "node");
    assert.equal(await batch.useFunction(), false);
    const sent = recordSent(old);
    assert.deepEqual(await batch.run("usherClaim", noClaim("default"), false), [null, 1]);
    assert.deepEqual(
      sent.filter((c) => c !== "eval"),
      [`evalsha ${sha1(SCRIPTS.usherClaim)}`],
    );

    // Functions found at first, then Redis no longer knows FCALL: the script runs the batch, from then on.
    const failed = rawRedis();
    const upgraded = new ScriptBatch(failed, `${prefix}seq`, prefix, "node");
    assert.equal(await upgraded.useFunction(), true);
    let refusal = new ReplyError("OOM command not allowed when used memory > 'maxmemory'.");
    const originalSend = failed.sendCommand.bind(failed);
    failed.sendCommand = ((command: Command, ...rest: unknown[]) => {
      if (command.name === "fcall") {
        command.reject(refusal);
        return command.promise;
      }
      return (originalSend as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof failed.sendCommand;
    const sentAfter = recordSent(failed);
    // Out of memory, Redis refuses a function where a script runs: this call goes as the script.
    assert.deepEqual(await upgraded.run("usherClaim", noClaim("a"), false), [null, 1]);
    refusal = unknown("fcall");
    assert.deepEqual(await upgraded.run("usherClaim", noClaim("a"), false), [null, 1]);
    // A user without the right to call functions (ACL) is refused as Redis 6.2 would: scripts too.
    const acl = new ScriptBatch(failed, `${prefix}seq`, prefix, "node");
    assert.equal(await acl.useFunction(), true);
    refusal = new ReplyError("NOPERM User u has no permissions to run the 'fcall' command");
    assert.deepEqual(await acl.run("usherClaim", noClaim("c"), false), [null, 1]);
    assert.deepEqual(await acl.run("usherClaim", noClaim("c"), false), [null, 1]);
    assert.deepEqual(await upgraded.run("usherClaim", noClaim("b"), false), [null, 1]);
    assert.deepEqual(
      sentAfter.filter((c) => c !== "eval"),
      [
        `fcall ${BATCH_FUNCTION}`,
        `evalsha ${BATCH_SHA}`,
        `fcall ${BATCH_FUNCTION}`,
        `evalsha ${BATCH_SHA}`,
        "FUNCTION",
        `fcall ${BATCH_FUNCTION}`,
        `evalsha ${BATCH_SHA}`,
        `evalsha ${sha1(SCRIPTS.usherClaim)}`,
        `evalsha ${sha1(SCRIPTS.usherClaim)}`,
      ],
    );
  });

  it("runSoon: a call waits up to SOON_WINDOW_MS and leaves with the calls made meanwhile; anything made later takes it along first", async () => {
    const prefix = storeKey(testPrefix("batch"), "");
    const clock = new ManualClock();
    const batch = new ScriptBatch(redis, `${prefix}seq`, prefix, "node", clock);
    const sent = recordSent(redis);
    const waiting = [batch.runSoon("usherClaim", noClaim("a")), batch.runSoon("usherClaim", noClaim("b"))];
    await clock.advance(SOON_WINDOW_MS - 1);
    assert.deepEqual(sent, []);
    await clock.advance(1);
    assert.deepEqual(await Promise.all(waiting), [
      [null, 1],
      [null, 1],
    ]);
    assert.deepEqual(
      sent.filter((c) => c !== "eval"),
      [`evalsha ${BATCH_SHA}`],
    );
    // A call made before the window closes takes the waiting one along, ahead of it, in one batch;
    // so does the flush a plain command makes (RedisLink.call).
    sent.length = 0;
    const soon = batch.runSoon("usherClaim", noClaim("c"));
    const now = batch.run("usherClaim", noClaim("d"), false);
    assert.deepEqual(await Promise.all([soon, now]), [
      [null, 1],
      [null, 1],
    ]);
    const flushed = batch.runSoon("usherClaim", noClaim("e"));
    batch.flush();
    assert.deepEqual(await flushed, [null, 1]);
    assert.deepEqual(
      sent.filter((c) => c !== "eval"),
      [`evalsha ${BATCH_SHA}`, `evalsha ${sha1(SCRIPTS.usherClaim)}`],
    );
    // Its timer went with it.
    assert.equal(clock.pending, 0);
    assert.throws(() => batch.runSoon("usherRenew", []), /cannot wait/);
  });
});
