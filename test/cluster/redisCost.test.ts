/**
 * What one prediction costs Redis (issue 16): a front with local workers, the identity function,
 * one user making a fresh session per prediction, then 20 users at once. Counted by Redis itself
 * through MONITOR, keeping only the commands on this test's keys: top-level ones (round trips from
 * the front) and those run inside its Lua scripts. The bench (`scaleout`) measures the same at
 * full speed; this test keeps the protocol from growing back.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Interface } from "../../src/index.ts";
import { redisStore } from "../../src/store/RedisStore.ts";
import { launch, post, readSse } from "../helpers/launch.ts";
import { REDIS_URL, testPrefix } from "../helpers/redis.ts";

interface Count {
  readonly topLevel: number;
  readonly inLua: number;
}

/** Counts the commands on keys under `prefix` while `work` runs (and a moment after, for its tail). */
async function countCommands(prefix: string, work: () => Promise<void>): Promise<Count> {
  const client = new Redis(REDIS_URL);
  const monitor = await client.monitor();
  let topLevel = 0;
  let inLua = 0;
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (!args.some((a) => String(a).includes(`{${prefix}}`))) return;
    if (source === "lua") inLua++;
    else topLevel++;
  });
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
  return { topLevel, inLua };
}

describe("Redis cost of a prediction", () => {
  it("is at most 3 round trips and 20 commands, at 1 user and at 20 users, with a fresh session each", async () => {
    const prefix = testPrefix("cost");
    const demo = new Interface({ fn: (x: string) => x, inputs: "text", outputs: "text", apiName: "echo" });
    const app = await launch(demo, { store: redisStore({ url: REDIS_URL, keyPrefix: prefix }), localWorkers: true });
    after(() => app.close());
    let n = 0;
    const predict = async (): Promise<void> => {
      const session = `cost-${n++}`;
      const join = await post(`${app.url}/gradio_api/queue/join`, { data: ["x"], fn_index: 0, session_hash: session });
      assert.equal(join.status, 200, join.text);
      const messages = await readSse(`${app.url}/gradio_api/queue/data?session_hash=${session}`);
      assert.ok(messages.some((m) => m.data.msg === "process_completed"));
    };
    for (let i = 0; i < 5; i++) await predict();
    const PREDICTIONS = 40;
    const one = await countCommands(prefix, async () => {
      for (let i = 0; i < PREDICTIONS; i++) await predict();
    });
    const crowd = await countCommands(prefix, async () => {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          for (let i = 0; i < PREDICTIONS / 20; i++) await predict();
        }),
      );
    });
    for (const [label, c] of [
      ["1 user", one],
      ["20 users", crowd],
    ] as const) {
      const roundTrips = c.topLevel / PREDICTIONS;
      const commands = (c.topLevel + c.inLua) / PREDICTIONS;
      console.log(label, roundTrips, commands);
      assert.ok(roundTrips <= 3.2, `${label}: ${roundTrips.toFixed(2)} round trips per prediction`);
      assert.ok(commands <= 20.5, `${label}: ${commands.toFixed(2)} commands per prediction`);
    }
  });
});
