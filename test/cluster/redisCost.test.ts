/**
 * What one prediction costs Redis (issue 16): a front with local workers, the identity function,
 * one user, then 50 users at once, each with a fresh session per prediction (one-shot visitors) or
 * keeping its session (a returning user). Counted by Redis itself
 * through MONITOR, keeping only the commands on this test's keys: top-level ones (round trips from
 * the front) and those run inside its Lua scripts; the node's timers (heartbeat, reaper, shared
 * durations) are left out, as they do not grow with predictions. The bench (`scaleout`) measures the same at
 * full speed; this test keeps the protocol from growing back.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Interface, type QueueRequest } from "../../src/index.ts";
import { redisStore } from "../../src/redis.ts";
import { launch, post, readSse } from "../helpers/launch.ts";
import { REDIS_URL, testPrefix } from "../helpers/redis.ts";
import { breakdown, countCommands } from "../helpers/redisCommands.ts";

/**
 * Most commands per prediction (Lua-internal included), at 1 user and at 50, leaving out the
 * logging of finals whose reader came late (see LOGGED_LATE): what the protocol costs, measured
 * 11.05 / 17.0 fresh with fairness on (16.0 off, 23.8 one key), one less kept (no owner to record,
 * and the node holds the session solo: no question whether it is known elsewhere).
 */
const STEADY = {
  fresh: { fair: { one: 11.2, many: 17.3 }, fifo: { one: 11.2, many: 16.3 }, oneKey: { one: 11.2, many: 24.2 } },
  kept: { fair: { one: 10.2, many: 16.3 }, fifo: { one: 10.2, many: 15.3 }, oneKey: { one: 10.2, many: 23.2 } },
} as const;
/** Most commands per prediction, everything counted (issue 16's target; one key: a key's later events). */
const TOTAL = { one: 20, many: 20, oneKeyMany: 28 } as const;
/**
 * The commands of a final logged because no reader here had it when it ended (XADD, PEXPIRE), and of
 * its leaving the log once read here (XDEL, carried by the node's next script or a pipeline): every
 * prediction at 1 user (the function ends before the stream opens), some at 50 users, more the more
 * loaded the machine is.
 */
const LOGGED_LATE = ["lua:xadd", "lua:pexpire", "lua:xdel", "xdel"];
/** Issue 16's bound on round trips a prediction, which holds with every lone forget counted. */
const ISSUE_ROUND_TRIPS = 3;

describe("Redis cost of a prediction", () => {
  // Each user its own client key (here its session; in production its address or account):
  // one-shot visitors. "one key": every user behind one address (the default key, all from
  // 127.0.0.1 here), so that fair share parks each event behind the others (a key's later events).
  // "kept": each user keeps its session across its predictions (a returning user), so its joins
  // carry no owner, find the session held solo, and meet its key's lane record (released here).
  for (const [fairness, keys, sessions] of [
    [true, "per user", "fresh"],
    [false, "per user", "fresh"],
    [true, "one key", "fresh"],
    [true, "per user", "kept"],
    [false, "per user", "kept"],
    [true, "one key", "kept"],
  ] as const) {
    it(`is 2 round trips and at most 20 commands at 1 and at 50 users, ${sessions} sessions, fairness ${fairness ? "on" : "off"}, ${keys}`, async (t) => {
      const prefix = testPrefix("cost");
      const demo = new Interface({ fn: (x: string) => x, inputs: "text", outputs: "text", apiName: "echo" });
      // A short lease: heartbeats every 200 ms, so that the node soon knows it is alone (no wake-ups).
      const store = redisStore({ url: REDIS_URL, keyPrefix: prefix, leaseMs: 600 });
      const clientKey = keys === "per user" ? { clientKey: (r: QueueRequest) => r.sessionHash } : {};
      const app = await launch(demo, { store, localWorkers: true, fairness, ...clientKey });
      after(() => app.close());
      let n = 0;
      const predict = async (user: number): Promise<void> => {
        const session = sessions === "kept" ? `cost-user-${user}` : `cost-${n++}`;
        const join = await post(`${app.url}/gradio_api/queue/join`, {
          data: ["x"],
          fn_index: 0,
          session_hash: session,
        });
        assert.equal(join.status, 200, join.text);
        const messages = await readSse(`${app.url}/gradio_api/queue/data?session_hash=${session}`);
        assert.ok(messages.some((m) => m.data.msg === "process_completed"));
      };
      const USERS = 50;
      const crowd = async (rounds: number): Promise<void> => {
        await Promise.all(
          Array.from({ length: USERS }, async (_, u) => {
            for (let i = 0; i < rounds; i++) await predict(u);
          }),
        );
      };
      // Warm-up: every kept session has had its first join (the one that records its owner).
      for (let i = 0; i < 5; i++) await predict(0);
      await crowd(1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const PREDICTIONS = 100;
      const one = await countCommands(prefix, async () => {
        for (let i = 0; i < PREDICTIONS; i++) await predict(0);
      });
      const many = await countCommands(prefix, () => crowd(PREDICTIONS / USERS));
      // The steady bounds catch growth (one more script or command per prediction); the total
      // bounds, issue 16's target, hold even if every final were logged late.
      // A key's later events (one key) cost their claim about 7 commands more: its lane's next
      // event enters the ring (docs/redis-protocol.md, "One prediction").
      const steady = STEADY[sessions][keys === "one key" ? "oneKey" : fairness ? "fair" : "fifo"];
      for (const [label, c, maxRoundTrips, maxSteady, maxTotal] of [
        ["1 user", one, 2.1, steady.one, TOTAL.one],
        ["50 users", many, 2.3, steady.many, keys === "one key" ? TOTAL.oneKeyMany : TOTAL.many],
      ] as const) {
        // Every top-level command is counted as a round trip (an upper bound: a pipeline is one).
        // A read final's lone XDEL, sent when no script call came within FORGET_WAIT_MS to carry it,
        // is cleanup after the prediction ended, off its path, and comes more often the slower the
        // client's next join (a loaded machine): it is bounded with the issue's 3, not the steady 2.1.
        const allTopLevel = c.topLevel / PREDICTIONS;
        const roundTrips = allTopLevel - (c.byName.get("xdel") ?? 0) / PREDICTIONS;
        const commands = (c.topLevel + c.inLua) / PREDICTIONS;
        const late = LOGGED_LATE.reduce((n, name) => n + (c.byName.get(name) ?? 0), 0) / PREDICTIONS;
        t.diagnostic(
          `${label}: ${commands.toFixed(2)} commands (${(commands - late).toFixed(2)} without finals logged late), ${roundTrips.toFixed(2)} round trips (${allTopLevel.toFixed(2)} with lone forgets): ${breakdown(c, PREDICTIONS)}`,
        );
        assert.ok(roundTrips <= maxRoundTrips, `${label}: ${roundTrips.toFixed(2)} round trips per prediction`);
        assert.ok(
          allTopLevel <= ISSUE_ROUND_TRIPS,
          `${label}: ${allTopLevel.toFixed(2)} top-level commands per prediction`,
        );
        assert.ok(commands - late <= maxSteady, `${label}: ${(commands - late).toFixed(2)} commands per prediction`);
        assert.ok(commands <= maxTotal, `${label}: ${commands.toFixed(2)} commands per prediction, all counted`);
      }
    });
  }
});
