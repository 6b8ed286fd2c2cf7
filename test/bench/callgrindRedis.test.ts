/**
 * The instruction counter behind `luaReplay --instructions` (bench/load/CallgrindRedis.ts): what it
 * counts starts at zero(), grows with the work done, and repeats for the same work. Skipped where
 * Valgrind is not installed (it is a bench's tool, not the server's).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { Redis } from "ioredis";
import { inclusiveCounts, startCallgrindRedis } from "../../bench/load/CallgrindRedis.ts";

const hasValgrind = spawnSync("valgrind", ["--version"]).status === 0;

test("CallgrindRedis: counts from zero(), more for more work, the same for the same work", {
  skip: !hasValgrind,
  timeout: 120_000,
}, async () => {
  const server = await startCallgrindRedis();
  const redis = new Redis(server.url);
  try {
    const hsets = async (n: number, tag: string): Promise<number> => {
      server.zero();
      const p = redis.pipeline();
      for (let i = 0; i < n; i++) p.hset(`${tag}:${i}`, "a", "x".repeat(100), "b", "y");
      await p.exec();
      return server.dump().instructions;
    };
    await hsets(1000, "warm");
    const small1 = await hsets(1000, "s1");
    const small2 = await hsets(1000, "s2");
    const large = await hsets(10_000, "l");
    // The server's own timer runs meanwhile (once a second): a margin for it, far below the 10× step.
    assert.ok(Math.abs(small1 - small2) / small1 < 0.2, `${small1} against ${small2} for the same work`);
    assert.ok(large > 5 * small1, `${large} for 10,000 HSETs against ${small1} for 1,000`);
    server.zero();
    await redis.hset("one", "a", "x".repeat(100));
    const dump = server.dump();
    const counts = inclusiveCounts(dump.file);
    const hset = counts.get("hsetCommand") ?? 0;
    assert.ok(hset > 0 && hset < dump.instructions, `hsetCommand ${hset} of ${dump.instructions}`);
  } finally {
    redis.disconnect();
    await server.stop();
  }
});
