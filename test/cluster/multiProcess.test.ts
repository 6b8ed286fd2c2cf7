/**
 * One queue, four OS processes: two fronts with no local workers (A and B) and two workers (one
 * through `runWorker`, one through the `usher worker` CLI), all on the real Redis with a fresh key
 * prefix. Proves global FIFO and maxSize, streams that cross fronts (raw HTTP, and the real
 * @gradio/client behind a non-sticky round-robin proxy), a front that dies, and a worker killed
 * mid-job. The tests share the processes and run in order (the last ones kill some).
 */
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { Client } from "@gradio/client";
import { metric, post, readSse } from "../helpers/launch.ts";
import { spawnReady, type Child } from "../helpers/processes.ts";
import { rawRedis, REDIS_URL, testPrefix } from "../helpers/redis.ts";
import { waitFor } from "../helpers/waitFor.ts";

const APP = "test/cluster/fixtures/clusterApp.ts";
const LEASE_MS = 1500;
const MAX_SIZE = 4;

describe("one queue shared by four processes", () => {
  const prefix = testPrefix("multi");
  const redis = rawRedis();
  let a: Child;
  let b: Child;
  let workerApi: Child;
  let workerCli: Child;

  before(async () => {
    const env = {
      USHER_REDIS_URL: REDIS_URL,
      USHER_PREFIX: prefix,
      LEASE_MS: String(LEASE_MS),
      MAX_SIZE: String(MAX_SIZE),
    };
    [a, b, workerApi, workerCli] = await Promise.all([
      spawnReady([APP], { ...env, ROLE: "front" }),
      spawnReady([APP], { ...env, ROLE: "front" }),
      spawnReady([APP], { ...env, ROLE: "worker-api" }),
      spawnReady(["bin/usher.mjs", "worker", APP], { ...env, ROLE: "worker-cli" }),
    ]);
  });

  const join = (front: Child, session: string, input: string) =>
    post(`${front.ready}/gradio_api/queue/join`, { data: [input], fn_index: 0, session_hash: session });
  const calls = async (): Promise<string[]> => redis.lrange(`${prefix}test:calls`, 0, -1);
  /** Reads a session's stream to its end and returns the result of `eventId` (throws if it did not succeed). */
  const resultOf = async (front: Child, session: string, eventId: string): Promise<string> => {
    const messages = await readSse(`${front.ready}/gradio_api/queue/data?session_hash=${session}`);
    const done = messages.find((m) => m.data.msg === "process_completed" && m.data.event_id === eventId)?.data;
    assert.ok(done, `a result for ${eventId}: ${JSON.stringify(messages.map((m) => m.data))}`);
    assert.equal(done.success, true, JSON.stringify(done));
    return done.output.data[0] as string;
  };

  it("runs joins made through either front in global admission order, and streams them from the other front", async () => {
    await redis.del(`${prefix}test:calls`);
    const inputs = ["sleep:300:f0", "sleep:20:f1", "sleep:20:f2", "sleep:20:f3", "sleep:20:f4"];
    const joined: { front: Child; other: Child; session: string; eventId: string }[] = [];
    for (const [i, input] of inputs.entries()) {
      const [front, other] = i % 2 === 0 ? [a, b] : [b, a];
      const session = `fifo${i}`;
      const r = await join(front, session, input);
      assert.equal(r.status, 200, r.text);
      joined.push({ front, other, session, eventId: r.json.event_id });
    }
    const results = await Promise.all(joined.map((j) => resultOf(j.other, j.session, j.eventId)));
    assert.deepEqual(
      results.map((r) => r.split("|")[0]),
      inputs,
    );
    // concurrencyCount 1 is global: one job at a time across both workers, in join order.
    assert.deepEqual(await calls(), inputs);
    const pids = new Set(results.map((r) => Number(r.split("|")[1])));
    assert.ok(
      [...pids].every((pid) => pid === workerApi.pid || pid === workerCli.pid),
      "only workers run jobs",
    );
  });

  it("serves the real @gradio/client through a non-sticky round-robin proxy over both fronts", async () => {
    const proxy = await roundRobinProxy([a.ready, b.ready]);
    after(() => proxy.close());
    const client = await Client.connect(proxy.url);
    // Concurrent predicts of one client share its session: joins and its one stream land on either
    // front. Two waves of three: one runs at a time (concurrencyCount 1) and maxSize is 4.
    const inputs = ["p1", "p2", "p3", "p4", "p5", "p6"];
    const results: unknown[] = [];
    for (const wave of [inputs.slice(0, 3), inputs.slice(3)])
      results.push(...(await Promise.all(wave.map(async (x) => (await client.predict("/work", [x])).data))));
    assert.deepEqual(
      results.map((d: unknown) => String((d as string[])[0]).split("|")[0]),
      inputs,
    );
    assert.ok(
      proxy.hits.every((n) => n > 0),
      `both fronts got requests: ${proxy.hits.join(", ")}`,
    );
  });

  it("holds maxSize across both fronts: the next join is refused by either with 503 and a JSON detail", async () => {
    const running = await join(a, "full0", "sleep:1500:m0");
    // Once it runs it does not count toward maxSize.
    await waitFor(async () => (await calls()).includes("sleep:1500:m0"), 10_000, "the first job running");
    const waiting = [];
    for (let i = 1; i <= MAX_SIZE; i++) waiting.push(await join(i % 2 === 0 ? a : b, `full${i}`, `sleep:10:m${i}`));
    assert.deepEqual(
      waiting.map((r) => r.status),
      [200, 200, 200, 200],
    );
    for (const front of [a, b]) {
      const refused = await join(front, "fullX", "sleep:10:mx");
      assert.equal(refused.status, 503, refused.text);
      assert.match(String(refused.json.detail), /Queue is full\. Max size is 4/);
    }
    // Everything admitted still completes.
    await resultOf(b, "full0", running.json.event_id);
    for (let i = 1; i <= MAX_SIZE; i++) await resultOf(i % 2 === 0 ? b : a, `full${i}`, waiting[i - 1]!.json.event_id);
  });

  it("gives the result of a front that died to the user reconnecting through the other front", async () => {
    const r = await join(a, "orphan", "sleep:800:orphan");
    assert.equal(r.status, 200);
    // The user reads a little from A, then A dies (SIGKILL: no goodbye).
    const partial = readSse(`${a.ready}/gradio_api/queue/data?session_hash=orphan`).catch(() => []);
    await waitFor(
      async () => (await calls()).includes("sleep:800:orphan") && (await metric(a.ready, "usher_open_streams")) === 1,
      10_000,
      "the job running and its stream open on A",
    );
    await a.kill("SIGKILL");
    await partial;
    assert.equal((await resultOf(b, "orphan", r.json.event_id)).split("|")[0], "sleep:800:orphan");
  });

  it("retries the job of a worker killed mid-job on the other worker, within the lease", async () => {
    const input = "hang:1:k";
    const r = await join(b, "killed", input);
    assert.equal(r.status, 200);
    let runner: string | null = null;
    await waitFor(async () => (runner = await redis.get(`${prefix}test:runner:${input}`)) !== null, 5000).catch(
      () => undefined,
    );
    const victim = [workerApi, workerCli].find((w) => String(w.pid) === runner);
    assert.ok(victim, `the job runs on a worker (pid ${runner})`);
    const t0 = Date.now();
    await victim.kill("SIGKILL");
    const messages = await readSseFor(`${b.ready}/gradio_api/queue/data?session_hash=killed`, LEASE_MS * 8);
    const elapsed = Date.now() - t0;
    const done = messages.find((m) => m.data.msg === "process_completed")?.data;
    assert.equal(done?.success, true, JSON.stringify(messages.map((m) => m.data)));
    const [output, pid] = String(done.output.data[0]).split("|");
    assert.equal(output, input);
    assert.notEqual(pid, runner, "the other worker ran the retry");
    assert.ok(
      messages.some((m) => m.data.msg === "log" && /retried/.test(m.data.log)),
      "the user is told about the retry",
    );
    assert.ok(elapsed < LEASE_MS * 3, `recovered in ${elapsed} ms`);
  });
});

/** Like readSse, but gives up after `timeoutMs` and returns what arrived (a hang becomes a readable failure). */
async function readSseFor(url: string, timeoutMs: number): Promise<{ data: any }[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  let text = "";
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
      text += Buffer.from(chunk).toString("utf8");
  } catch {
    // timed out: parse what came
  }
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => ({ data: JSON.parse(block.slice(6)) }));
}

/** A plain HTTP proxy sending each request to the next upstream in turn (no stickiness at all). */
async function roundRobinProxy(
  upstreams: readonly string[],
): Promise<{ url: string; hits: number[]; close(): Promise<void> }> {
  let next = 0;
  const hits = upstreams.map(() => 0);
  const server: Server = createServer((req, res) => {
    const i = next++ % upstreams.length;
    hits[i]!++;
    const target = new URL(upstreams[i]!);
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
