/**
 * Where the objects a front promotes to V8's old generation come from: the allocation sites of what
 * a full collection later frees (promoted, then dead), in bytes a prediction, for a front on Redis
 * or the in-memory process (the `scaleout` scenario's `clusterChild`) under closed-loop load. The
 * tool that found the front's old hash tables (bench/README.md, 2026-12-07, 08:54): what is
 * promoted although dead was kept by an old object that points at it, so its site says what to
 * look for, and the sites of tables (`set`, `delete`, `add`) say which maps rehash in the old
 * generation.
 *
 *   node --conditions=usher-source --import tsx bench/promotedSites.ts [--side=redis|memory] \
 *     [--users=50] [--pattern=fresh|kept] [--ms=4000] [--top=30] [--frames=1] [--url=redis://127.0.0.1:6379]
 *
 * Two windows of V8's sampling heap profiler over the inspector: one keeps the samples of objects
 * that a full collection freed, the other keeps only those still alive; the difference, site by
 * site (`--frames=N`: the last N frames of the allocating stack), is what was promoted and died.
 * Objects a young-generation collection freed are left out of both. Sampling every 1 KB.
 */
import WebSocket from "ws";
import { ClosedLoop } from "./load/ClosedLoop.ts";
import { SseTransport } from "./load/SseTransport.ts";
import { argValue } from "./load/argValue.ts";
import { deleteRedisKeys } from "./load/deleteRedisKeys.ts";
import { startClusterChild } from "./servers/startClusterChild.ts";
import { freePort } from "../test/helpers/redisProcess.ts";

const side = argValue("side", "redis");
const users = Number(argValue("users", "50"));
const fresh = argValue("pattern", "fresh") === "fresh";
const windowMs = Number(argValue("ms", "4000"));
const top = Number(argValue("top", "30"));
const frames = Number(argValue("frames", "1"));
const url = argValue("url", "redis://127.0.0.1:6379");
const prefix = `usher-bench:${process.pid}:promoted:`;

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

/** One inspector session: `call` sends a method and resolves with its result. */
async function inspect(
  port: number,
): Promise<{ call: (method: string, params?: object) => Promise<unknown>; close: () => void }> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const target = list[0];
  if (target === undefined) throw new Error("no inspector target");
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  let id = 0;
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (err: Error) => void }>();
  ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = m.id === undefined ? undefined : pending.get(m.id);
    if (waiter === undefined || m.id === undefined) return;
    pending.delete(m.id);
    if (m.error !== undefined) waiter.reject(new Error(m.error.message));
    else waiter.resolve(m.result);
  });
  const call = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      id++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { call, close: () => ws.close() };
}

/** Bytes sampled by site: the last `frames` frames of the allocating stack. */
function bySite(head: ProfileNode): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (node: ProfileNode, stack: string[]): void => {
    const f = node.callFrame;
    const here = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(src|dist|node_modules)\//, "$1/")}:${f.lineNumber + 1}`;
    const path = [...stack, here];
    if (node.selfSize > 0) {
      const key = path.slice(-frames).reverse().join(" < ");
      out.set(key, (out.get(key) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c, path);
  };
  walk(head, []);
  return out;
}

const port = await freePort();
process.env["BENCH_NODE_ARGS"] = `${process.env["BENCH_NODE_ARGS"] ?? ""} --inspect=127.0.0.1:${port}`.trim();
const front = await startClusterChild({
  role: "front",
  fn: { kind: "identity" },
  redis: side === "redis" ? { url, keyPrefix: prefix } : null,
  concurrencyCount: 8,
  maxThreads: 40,
  localWorkers: true,
  sessionGraceMs: 250,
});
const loop = new ClosedLoop(new SseTransport(front.url, { client: "raw", freshSession: fresh }), { users });
const inspector = await inspect(port);
try {
  const warmupMs = 2000;
  const run = loop.round(warmupMs, 2 * windowMs + 1000);
  await new Promise((resolve) => setTimeout(resolve, warmupMs));
  await inspector.call("HeapProfiler.enable");
  const sample = async (
    keepFreedByFullGc: boolean,
  ): Promise<{ sites: Map<string, number>; fromMs: number; toMs: number }> => {
    await inspector.call("HeapProfiler.startSampling", {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: keepFreedByFullGc,
      includeObjectsCollectedByMinorGC: false,
    });
    const fromMs = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const toMs = performance.now();
    const { profile } = (await inspector.call("HeapProfiler.stopSampling")) as { profile: { head: ProfileNode } };
    return { sites: bySite(profile.head), fromMs, toMs };
  };
  const freed = await sample(true);
  const alive = await sample(false);
  const records = (await run).records.filter((r) => r.outcome === "completed");
  const done = (w: { fromMs: number; toMs: number }): number =>
    records.filter((r) => r.endedMs !== null && r.endedMs >= w.fromMs && r.endedMs < w.toMs).length;
  const perPred = (bytes: number, w: { fromMs: number; toMs: number }): number => bytes / Math.max(1, done(w));
  const sites = new Set([...freed.sites.keys(), ...alive.sites.keys()]);
  const rows = [...sites]
    .map((s) => [s, perPred(freed.sites.get(s) ?? 0, freed) - perPred(alive.sites.get(s) ?? 0, alive)] as const)
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((a, [, b]) => a + b, 0);
  console.log(
    `${side}, ${fresh ? "fresh" : "kept"}, ${users} users: ${Math.round((done(freed) * 1000) / windowMs)}/s; ` +
      `promoted, then freed by a full collection: ~${Math.round(total)} B a prediction`,
  );
  for (const [site, bytes] of rows.slice(0, top)) console.log(`${bytes.toFixed(0).padStart(7)} B  ${site}`);
} finally {
  inspector.close();
  loop.close();
  await front.stop();
  if (side === "redis") await deleteRedisKeys(url, prefix);
}
