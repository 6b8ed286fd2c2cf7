/**
 * Issue 17's refusals through the real clients: a client over `maxPerClient` (429) and a join over
 * `maxWaitMs` (503) reject `predict` with an error, and the HTTP answer the client got carries the
 * detail and `Retry-After`. @gradio/client 2.x shows a 429's detail as is; any 503 it replaces by its
 * own "currently busy" text (it does so for a full queue too), so the detail of a wait-limit refusal
 * is checked on the answer it read. The 3.x client (`gradio-client-v0`, one socket per call) gets
 * the detail of both as the error of a failed `process_completed`.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { Client } from "@gradio/client";
import { client as clientV0 } from "gradio-client-v0";
import { Interface } from "../../src/index.ts";
import { eventCounts, launch } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";

/** CLIENT_LIMIT's detail for maxPerClient 1 (FAIR-SPEC.md). */
const CLIENT_LIMIT_DETAIL = /^You already have 1 requests? waiting or running; wait for one to finish\.$/;
/** WAIT_LIMIT's detail: the predicted wait, the limit and when to come back. */
const WAIT_LIMIT_DETAIL =
  /^Busy: about \d+ (s|min) to wait, over this demo's limit of \d+ (s|min); try again in (\d+) s\.$/;

/** An echo whose calls wait for `open()`. */
function gated() {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const demo = new Interface({
    fn: async (s: string) => {
      await gate;
      return s;
    },
    inputs: "text",
    outputs: "text",
    apiName: "echo",
  });
  return { demo, open };
}

/** An echo that takes 300 ms, and says so before its first run. */
const slow = () =>
  new Interface({
    fn: async (s: string) => {
      await sleep(300);
      return s;
    },
    inputs: "text",
    outputs: "text",
    apiName: "echo",
    expectedDurationMs: 300,
  });

/** What a client's `POST /queue/join` got back. */
interface JoinAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly detail: unknown;
}

/** Records the answer of every join `client` sends (its own fetch, which every request goes through). */
function recordJoins(client: Client): JoinAnswer[] {
  const answers: JoinAnswer[] = [];
  const own = client.fetch;
  client.fetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const res = await own(input, init);
    if (String(input).includes("/queue/join")) {
      const body = (await res.clone().json()) as { detail?: unknown };
      answers.push({ status: res.status, retryAfter: res.headers.get("retry-after"), detail: body.detail });
    }
    return res;
  };
  return answers;
}

/** The message of a rejected predict: @gradio/client rejects with its status event. */
const messageOf = (err: unknown): string => String((err as { message?: unknown }).message ?? err);

test("@gradio/client: a second request of one client over maxPerClient 1 is a 429 error with the detail and Retry-After", async () => {
  const { demo, open } = gated();
  const app = await launch(demo, { concurrencyCount: 1, maxPerClient: 1 });
  const client = await Client.connect(app.url);
  const answers = recordJoins(client);
  const running = client.predict("/echo", ["a"]);
  await waitFor(() => eventCounts(app).running === 1, 5000, "a running");
  await assert.rejects(client.predict("/echo", ["b"]), (err: unknown) => {
    assert.match(messageOf(err), CLIENT_LIMIT_DETAIL);
    return true;
  });
  const refused = answers.at(-1);
  assert.equal(refused?.status, 429);
  assert.match(String(refused.detail), CLIENT_LIMIT_DETAIL);
  assert.ok(Number(refused.retryAfter) >= 1, `Retry-After ${refused.retryAfter}`);
  // Another client (another address, told by the local proxy's X-Forwarded-For) is not limited by it.
  const other = await Client.connect(app.url, { headers: { "x-forwarded-for": "203.0.113.5" } });
  const theirs = other.predict("/echo", ["c"]);
  await waitFor(() => eventCounts(app).waiting === 1, 5000, "the other client's job waiting");
  open();
  assert.deepEqual((await running).data, ["a"]);
  assert.deepEqual((await theirs).data, ["c"]);
});

test("@gradio/client: a join whose predicted wait is over maxWaitMs is a 503 error; its answer names the wait, with Retry-After", async () => {
  const app = await launch(slow(), { concurrencyCount: 1, maxWaitMs: 100 });
  const client = await Client.connect(app.url);
  const answers = recordJoins(client);
  // The first starts at once; behind 300 ms calls the second or third is over the limit.
  const first = client.predict("/echo", ["a"]);
  await waitFor(() => eventCounts(app).running === 1, 5000, "a running");
  const later = await Promise.allSettled([client.predict("/echo", ["b"]), client.predict("/echo", ["c"])]);
  const rejected = later.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  assert.ok(rejected.length >= 1, "a join refused");
  for (const r of rejected) assert.match(messageOf(r.reason), /busy/i);
  const refused = answers.filter((a) => a.status === 503);
  assert.equal(refused.length, rejected.length);
  for (const a of refused) {
    const m = WAIT_LIMIT_DETAIL.exec(String(a.detail));
    assert.ok(m !== null, String(a.detail));
    assert.equal(a.retryAfter, m[3], "Retry-After is the detail's 'try again in'");
  }
  assert.deepEqual((await first).data, ["a"]);
});

test("Gradio 3.x client: both refusals reject predict with the detail as its message", async () => {
  type Status = { stage: string; message?: string };
  const { demo, open } = gated();
  const limited = await launch(demo, { concurrencyCount: 1, maxPerClient: 1 });
  const c = await clientV0(limited.url, {});
  const running = c.predict("/echo", ["a"]);
  await waitFor(() => eventCounts(limited).running === 1, 5000, "a running");
  await assert.rejects(c.predict("/echo", ["b"]), (s: Status) => {
    assert.equal(s.stage, "error");
    assert.match(String(s.message), CLIENT_LIMIT_DETAIL);
    return true;
  });
  open();
  await running;

  const busy = await launch(slow(), { concurrencyCount: 1, maxWaitMs: 100 });
  const b = await clientV0(busy.url, {});
  const first = b.predict("/echo", ["a"]);
  await waitFor(() => eventCounts(busy).running === 1, 5000, "a running");
  const later = await Promise.allSettled([b.predict("/echo", ["b"]), b.predict("/echo", ["c"])]);
  const rejected = later.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  assert.ok(rejected.length >= 1, "a join refused");
  for (const r of rejected) assert.match(String((r.reason as Status).message), WAIT_LIMIT_DETAIL);
  await first;
});
