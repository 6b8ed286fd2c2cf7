/**
 * The bench's load-side helpers that decide issue 16's figures: a fresh session per prediction
 * over one connection, and the MONITOR line split between the servers under test and others.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { countMonitorLines } from "../../bench/load/RedisMonitor.ts";
import { sha1 } from "../../src/store/callScript.ts";
import { BATCH_FUNCTION, BATCH_LUA } from "../../src/store/redisBatch.ts";
import { SCRIPTS } from "../../src/store/redisScripts.ts";
import { SseTransport } from "../../bench/load/SseTransport.ts";
import { echoServer } from "../helpers/echoSseServer.ts";

for (const freshSession of [false, true]) {
  test(`SseTransport freshSession ${freshSession}: ${freshSession ? "a session per prediction" : "one session"}, one connection`, async () => {
    const server = await echoServer();
    try {
      const user = new SseTransport(server.url, { freshSession }).createUser(0);
      for (let i = 0; i < 3; i++) {
        const rec = await user.predict(`x${i}`, 5000);
        assert.equal(rec.outcome, "completed", rec.error ?? "");
        assert.deepEqual(rec.output, [`x${i}`]);
      }
      user.close();
      assert.equal(new Set(server.sessions).size, freshSession ? 3 : 1);
      assert.equal(server.sockets(), 1);
    } finally {
      server.close();
    }
  });
}

test("countMonitorLines: the median 100 ms bin leaves a batch out", () => {
  const lines: string[] = [];
  // 2 commands per 100 ms for 1 s, and a batch of 50 inside one bin.
  for (let i = 0; i < 20; i++) lines.push(`+${(1000 + i * 0.05).toFixed(6)} [0 127.0.0.1:1] "evalsha" "x"`);
  for (let i = 0; i < 50; i++) lines.push(`+${(1000.51 + i * 0.0001).toFixed(6)} [0 127.0.0.1:1] "srem" "y"`);
  lines.sort();
  const counts = countMonitorLines(Buffer.from(`${lines.join("\r\n")}\r\n`), new Set([1]));
  assert.equal(counts.topLevel, 70);
  assert.equal(counts.topLevelMedianPerS, 20);
});

test("countMonitorLines: the watched ports' commands and their scripts' calls, others apart", () => {
  const lines = [
    "+OK",
    '+1796420907.267283 [0 127.0.0.1:35358] "evalsha" "abc" "1" "p:k"',
    '+1796420907.267396 [0 lua] "set" "p:k" "x"',
    '+1796420907.267408 [0 lua] "get" "p:k"',
    '+1796420907.271713 [0 127.0.0.1:40000] "del" "other"',
    '+1796420907.271714 [0 lua] "get" "other"',
    '+1796420907.271800 [0 [::1]:35359] "MULTI"',
    '+1796420907.271801 [0 [::1]:35359] "set" "p:a" "with \\"quotes\\""',
    '+1796420907.271802 [0 [::1]:35359] "exec"',
  ];
  const counts = countMonitorLines(Buffer.from(`${lines.join("\r\n")}\r\n`), new Set([35358, 35359]));
  assert.deepEqual(counts, {
    topLevel: 4,
    calls: 4,
    lua: 2,
    others: 2,
    topLevelByCommand: { evalsha: 1, multi: 1, set: 1, exec: 1 },
    topLevelMedianPerS: null,
    callsMedianPerS: null,
  });
});

test("countMonitorLines: a batch of script calls counts as its calls, by hash, by text or as the function", () => {
  const batchArgs = '"1" "{p}seq" "{p}" "node1" "3" "usherClaim" "0" "usherClaim" "0" "usherClaim" "0"';
  const lines = [
    `+1796420907.267283 [0 127.0.0.1:35358] "evalsha" "${sha1(BATCH_LUA)}" ${batchArgs}`,
    '+1796420907.267396 [0 lua] "zcard" "{p}run:default"',
    // MONITOR quotes the text with escapes (a newline as \n, a quote as \"), as JSON does.
    `+1796420907.267400 [0 127.0.0.1:35358] "eval" ${JSON.stringify(BATCH_LUA)} ${batchArgs}`,
    `+1796420907.267500 [0 127.0.0.1:35358] "evalsha" "${sha1(SCRIPTS.usherClaim)}" "1" "{p}seq" "{p}" "n" "7"`,
    `+1796420907.267600 [0 127.0.0.1:35358] "fcall" "${BATCH_FUNCTION}" ${batchArgs}`,
    '+1796420907.267700 [0 127.0.0.1:35358] "fcall" "another" "1" "{p}seq" "{p}" "node1" "5"',
  ];
  const counts = countMonitorLines(Buffer.from(`${lines.join("\r\n")}\r\n`), new Set([35358]));
  assert.equal(counts.topLevel, 5);
  assert.equal(counts.calls, 11);
  assert.equal(counts.lua, 1);
});
