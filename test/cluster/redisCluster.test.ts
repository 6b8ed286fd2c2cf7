/**
 * The Redis store on a real Redis Cluster of three primaries (private `redis-server`s on free
 * ports, joined by `redis-cli --cluster create`): two fronts with local workers share one queue,
 * a join on one front streams from the other, and every key of the queue is in one slot (the key
 * prefix is a hash tag).
 */
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, describe, it } from "node:test";
import { Cluster } from "ioredis";
import { Interface } from "../../src/index.ts";
import { redisStore } from "../../src/redis.ts";
import { launch, post, readSse } from "../helpers/launch.ts";
import { freePort } from "../helpers/redisServer.ts";

const run = promisify(execFile);

/** Three cluster-enabled primaries covering every slot; stopped and deleted when the file ends. */
async function startCluster(): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "usher-cluster-"));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children = ports.map((port) =>
    spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dir, `nodes-${port}.conf`),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
      ],
      { stdio: "ignore" },
    ),
  );
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });
  const nodes = ports.map((p) => `127.0.0.1:${p}`);
  for (let attempt = 0; ; attempt++) {
    try {
      await run("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"]);
      break;
    } catch (err) {
      // The servers may still be starting.
      if (attempt > 20) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  for (let attempt = 0; ; attempt++) {
    const { stdout } = await run("redis-cli", ["-p", String(ports[0]), "cluster", "info"]);
    if (stdout.includes("cluster_state:ok")) break;
    if (attempt > 50) throw new Error(`cluster not ready: ${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return nodes;
}

const keyPrefix = "usher-cluster-test:";

describe("Redis store on a Redis Cluster", () => {
  it("runs one queue for two fronts, a join on one streaming from the other, its keys in one slot", async () => {
    const nodes = await startCluster();
    const store = () => redisStore({ cluster: nodes, keyPrefix, leaseMs: 1000, connectTimeoutMs: 10_000 });
    const app = () =>
      new Interface({ fn: (x: string) => x.toUpperCase(), inputs: "text", outputs: "text", apiName: "up" });
    const a = await launch(app(), { store: store(), localWorkers: true });
    const b = await launch(app(), { store: store(), localWorkers: true });
    const client = new Cluster(nodes.map((n) => ({ host: "127.0.0.1", port: Number(n.split(":")[1]) })));
    client.on("error", () => undefined);
    try {
      await check(a.url, b.url, client);
    } finally {
      // Before the cluster stops (its `after`): nothing must reconnect to it.
      await Promise.all([a.close(), b.close()]);
      client.disconnect();
    }
  });

  async function check(aUrl: string, bUrl: string, client: Cluster): Promise<void> {
    const predict = async (joinAt: string, streamAt: string, session: string, x: string): Promise<unknown> => {
      const joined = await post(`${joinAt}/gradio_api/queue/join`, { data: [x], fn_index: 0, session_hash: session });
      assert.equal(joined.status, 200, joined.text);
      const messages = await readSse(`${streamAt}/gradio_api/queue/data?session_hash=${session}`);
      const done = messages.find((m) => m.data.msg === "process_completed")?.data;
      assert.equal(done?.success, true, JSON.stringify(messages.map((m) => m.data)));
      return done.output.data[0];
    };
    assert.equal(await predict(aUrl, aUrl, "same-front", "one"), "ONE");
    assert.equal(await predict(aUrl, bUrl, "cross-front", "two"), "TWO");
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        predict(i % 2 === 0 ? aUrl : bUrl, i % 2 === 0 ? aUrl : bUrl, `s${i}`, `x${i}`),
      ),
    );
    assert.deepEqual(
      many,
      Array.from({ length: 20 }, (_, i) => `X${i}`),
    );

    // Every key of the queue lives on the one node that owns the prefix's slot.
    await client.ping();
    const withKeys = [];
    for (const node of client.nodes("master")) {
      const keys = await node.keys(`{${keyPrefix}}*`);
      if (keys.length > 0) withKeys.push(keys.length);
    }
    assert.equal(withKeys.length, 1, `keys on ${withKeys.length} nodes`);
  }
});
