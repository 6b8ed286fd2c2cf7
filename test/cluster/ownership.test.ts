/**
 * Session ownership on a shared queue: two fronts on one Redis (in this process, each with its own
 * store, so its own node). The owner recorded by the front of the first join is enforced by the
 * other front, and a second reader never takes the first reader's stream.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Redis } from "ioredis";
import { redisStore } from "../../src/redis.ts";
import { gatedDemo, gateOf } from "../helpers/gatedDemo.ts";
import { openStream, send } from "../helpers/httpClient.ts";
import { launch } from "../helpers/launch.ts";
import { REDIS_URL, storeKey, testPrefix } from "../helpers/redis.ts";

const demo = gatedDemo;

async function fronts(options: Parameters<typeof launch>[2] = {}) {
  const keyPrefix = testPrefix("own");
  const store = () => redisStore({ url: REDIS_URL, keyPrefix, leaseMs: 1000 });
  const a = await launch(demo(), { store: store(), concurrencyCount: 4 }, options);
  const b = await launch(demo(), { store: store(), concurrencyCount: 4 }, options);
  return { A: `${a.url}/gradio_api`, B: `${b.url}/gradio_api`, a, b, keyPrefix };
}

const KEY_A = "a1".repeat(16);
const KEY_B = "b2".repeat(16);

describe("session ownership across fronts", () => {
  it("with auth: the owner recorded by front A is enforced on front B (403), and the owner reads through B", async () => {
    const { A, B, a, b, keyPrefix } = await fronts({
      auth: [
        ["ada", "lovelace"],
        ["bob", "pw"],
      ],
    });
    const login = async (url: string, username: string, password: string) => {
      const res = await fetch(`${url}/login`, { method: "POST", body: new URLSearchParams({ username, password }) });
      assert.equal(res.status, 200);
      return {
        cookie: res.headers
          .getSetCookie()
          .map((c) => c.split(";")[0])
          .join("; "),
      };
    };
    const adaA = await login(a.url, "ada", "lovelace");
    const adaB = await login(b.url, "ada", "lovelace");
    const bobB = await login(b.url, "bob", "pw");
    const j = await send(`${A}/queue/join`, {
      body: { data: ["c-ada"], fn_index: 0, session_hash: "c-ada-tab" },
      headers: adaA,
    });
    assert.equal(j.status, 200, j.text);
    const stream = await openStream(`${B}/queue/data?session_hash=c-ada-tab`, { headers: bobB });
    assert.equal(stream.status, 403);
    assert.equal(stream.json.detail, "This session belongs to another user.");
    const cancel = await send(`${B}/cancel`, {
      body: { event_id: j.json.event_id, session_hash: "c-ada-tab" },
      headers: bobB,
    });
    assert.equal(cancel.status, 403);
    const mine = await openStream(`${B}/queue/data?session_hash=c-ada-tab`, { headers: adaB });
    assert.equal(mine.status, 200);
    gateOf("c-ada").open();
    const done = await mine.stream!.next((m) => m.msg === "process_completed");
    assert.deepEqual(done.output.data, ["C-ADA"]);
    // The record is in Redis, with 4/3 of the messages' TTL (10 min): the app writes no State.
    const redis = new Redis(REDIS_URL);
    const ttl = await redis.pttl(storeKey(keyPrefix, "owner:c-ada-tab"));
    await redis.quit();
    assert.ok(ttl > 600_000 && ttl <= 800_000, `owner record TTL ${ttl}`);
  });

  it("without auth: a keyed session refuses another client on the other front; a second reader never takes the first's stream", async () => {
    const { A, B } = await fronts();
    const j = await send(`${A}/queue/join`, {
      body: { data: ["c-key"], fn_index: 0, session_hash: "c-key-tab" },
      headers: { cookie: `usher-client-key=${KEY_A}` },
    });
    assert.equal(j.status, 200);
    for (const headers of [{}, { cookie: `usher-client-key=${KEY_B}` }] as Record<string, string>[]) {
      const r = await openStream(`${B}/queue/data?session_hash=c-key-tab`, { headers });
      assert.equal(r.status, 403, JSON.stringify(headers));
    }
    gateOf("c-key").open();

    // A script (no cookies) reads on front A: a second reader on A is refused; one on front B
    // (which cannot tell a live front's reader from a killed one's) never takes A's stream away.
    const s = await send(`${A}/queue/join`, { body: { data: ["c-plain"], fn_index: 0, session_hash: "c-plain-tab" } });
    assert.equal(s.status, 200);
    const first = await openStream(`${A}/queue/data?session_hash=c-plain-tab`);
    assert.equal(first.status, 200);
    await first.stream!.next((m) => m.msg === "process_starts");
    assert.equal((await openStream(`${A}/queue/data?session_hash=c-plain-tab`)).status, 409);
    const elsewhere = await openStream(`${B}/queue/data?session_hash=c-plain-tab`);
    assert.equal(elsewhere.status, 200);
    gateOf("c-plain").open();
    assert.deepEqual((await first.stream!.next((m) => m.msg === "process_completed")).output.data, ["C-PLAIN"]);
  });

  it("a join on the other front is judged against the owner the admission met: another client 403 with nothing admitted, the owner admitted", async () => {
    const { A, B, keyPrefix } = await fronts();
    const first = await send(`${A}/queue/join`, {
      body: { data: ["j-first"], fn_index: 0, session_hash: "j-tab" },
      headers: { cookie: `usher-client-key=${KEY_A}` },
    });
    assert.equal(first.status, 200, first.text);
    // Front B has never seen the session: its join records an owner with the admission, finds one.
    const other = await send(`${B}/queue/join`, {
      body: { data: ["j-other"], fn_index: 0, session_hash: "j-tab" },
      headers: { cookie: `usher-client-key=${KEY_B}` },
    });
    assert.equal(other.status, 403, other.text);
    assert.equal(other.json.detail, "This session belongs to another client.");
    const redis = new Redis(REDIS_URL);
    // Its events ("@<node>" members are the fronts that hold the session).
    const pending = async () =>
      (await redis.smembers(storeKey(keyPrefix, "ses:j-tab:pending"))).filter((m) => !m.startsWith("@"));
    assert.deepEqual(await pending(), [first.json.event_id], "nothing of the refused join was admitted");
    const mine = await send(`${B}/queue/join`, {
      body: { data: ["j-mine"], fn_index: 0, session_hash: "j-tab" },
      headers: { cookie: `usher-client-key=${KEY_A}` },
    });
    assert.equal(mine.status, 200, mine.text);
    assert.deepEqual((await pending()).sort(), [first.json.event_id, mine.json.event_id].sort());
    gateOf("j-first").open();
    gateOf("j-mine").open();
    await redis.quit();
  });

  it("two first joins of a new session at once on one front: one binds it, the other client is refused", async () => {
    const { A } = await fronts();
    const join = (key: string, word: string) =>
      send(`${A}/queue/join`, {
        body: { data: [word], fn_index: 0, session_hash: "race-tab" },
        headers: { cookie: `usher-client-key=${key}` },
      });
    const [x, y] = await Promise.all([join(KEY_A, "race-a"), join(KEY_B, "race-b")]);
    assert.deepEqual([x.status, y.status].sort(), [200, 403], `${x.text} ${y.text}`);
    gateOf("race-a").open();
    gateOf("race-b").open();
  });
});
