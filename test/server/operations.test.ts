/**
 * Operations: /metrics in Prometheus format, structured logs by burst and per failed event,
 * graceful shutdown on SIGTERM (in a child process), and the upload sweeper (fileTtlMs).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { Interface } from "../../src/index.ts";
import { resolveLaunchOptions } from "../../src/options.ts";
import { RefusalLog } from "../../src/server/RefusalLog.ts";
import { FileSweeper } from "../../src/store/FileSweeper.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import { open, SseStream } from "../helpers/httpClient.ts";
import { launch, metric, post } from "../helpers/launch.ts";
import { waitFor } from "../helpers/waitFor.ts";

test("/metrics: queue depth per pool, wait and run histograms, refusals, connections", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const demo = new Interface({
    fn: async (s: string) => {
      await gate;
      return s;
    },
    inputs: "text",
    outputs: "text",
    apiName: "slow",
  });
  const app = await launch(demo, { concurrencyCount: 1, maxSize: 2 });
  const P = `${app.url}/gradio_api`;
  const joins = await Promise.all(
    [1, 2, 3].map((i) => post(`${P}/queue/join`, { data: [`x${i}`], fn_index: 0, session_hash: `m${i}` })),
  );
  assert.deepEqual(
    joins.map((j) => j.status),
    [200, 200, 200],
  );
  const full = await post(`${P}/queue/join`, { data: ["x4"], fn_index: 0, session_hash: "m4" });
  assert.equal(full.status, 503);
  await post(`${P}/queue/join`, "{bad json");
  const streams = [1, 2, 3].map((i) => fetch(`${P}/queue/data?session_hash=m${i}`).then((r) => r.text()));
  await waitFor(async () => (await metric(app.url, "usher_open_streams")) === 3, 5000, "three open streams");
  const during = await (await fetch(`${app.url}/metrics`)).text();
  assert.match(during, /usher_queue_depth\{pool="default"\} 2/);
  assert.match(during, /usher_running_events\{pool="default"\} 1/);
  assert.match(during, /usher_refusals_total\{code="QUEUE_FULL"\} 1/);
  assert.match(during, /usher_refusals_total\{code="BAD_REQUEST"\} 1/);
  assert.match(during, /usher_open_streams 3/);
  assert.match(during, /usher_open_connections \d+/);
  release();
  await Promise.all(streams);
  const after = await fetch(`${app.url}/metrics`);
  assert.match(after.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await after.text();
  assert.match(text, /# TYPE usher_wait_seconds histogram/);
  assert.match(text, /usher_wait_seconds_count 3/);
  assert.match(text, /usher_run_seconds_count\{outcome="completed"\} 3/);
  assert.match(text, /usher_queue_depth\{pool="default"\} 0/);
});

test("metrics: false serves no /metrics", async () => {
  const app = await launch(
    new Interface({ fn: (s: string) => s, inputs: "text", outputs: "text" }),
    {},
    { metrics: false },
  );
  assert.equal((await fetch(`${app.url}/metrics`)).status, 404);
});

test("logs: one line per failed event with its id; refusals by burst, not per request", async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n")) if (l !== "") lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: "info" }, sink);
  const clock = new ManualClock();
  const refusals = new RefusalLog(log, 50, clock);
  for (let i = 0; i < 1000; i++) refusals.note(i % 2 === 0 ? "QUEUE_FULL" : "BAD_REQUEST", 503);
  await clock.advance(80);
  refusals.note("QUEUE_FULL", 503);
  await clock.advance(80);
  refusals.close();
  await new Promise((r) => setImmediate(r));
  const msgs = lines.map((l) => l["msg"]);
  assert.deepEqual(msgs, ["refusing requests", "refused requests", "refused requests"]);
  assert.equal(lines[1]?.["refused"], 999);
  assert.deepEqual(lines[1]?.["byCode"], { BAD_REQUEST: 500, QUEUE_FULL: 499 });

  // A real app writes one "function failed" line with the event id (fastify's logger, to stdout).
  const child = spawn(process.execPath, ["--conditions=usher-source", "--import", "tsx", fixture("failingApp.ts")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const out = await collect(child);
  const records = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const failed = records.filter((r) => r["msg"] === "function failed");
  assert.equal(failed.length, 1, out);
  assert.match(String(failed[0]?.["eventId"]), /^[0-9a-f]{32}$/);
  assert.equal(failed[0]?.["code"], "FUNCTION_ERROR");
  // The operator sees the real error; the user did not (showError is off).
  assert.match(String((failed[0]?.["err"] as { message?: string } | undefined)?.message), /boom/);
  assert.equal(records.filter((r) => String(r["msg"]).startsWith("Server listening")).length, 1, "one startup line");
  assert.ok(!records.some((r) => r["msg"] === "incoming request"), "no line per request");
});

test("SIGTERM: stops admitting, finishes running work, tells waiting users, exits", async () => {
  const child = spawn(process.execPath, ["--conditions=usher-source", "--import", "tsx", fixture("shutdownApp.ts")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<string | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  const url = await new Promise<string>((resolve) => {
    let out = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => {
      out += d;
      const m = /URL (\S+)\n/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
  });
  const P = `${url}/gradio_api`;
  const join = (session: string) => post(`${P}/queue/join`, { data: [session], fn_index: 0, session_hash: session });
  assert.equal((await join("running")).status, 200);
  assert.equal((await join("waiting")).status, 200);
  const running = new SseStream(await open(`${P}/queue/data?session_hash=running`));
  const waiting = new SseStream(await open(`${P}/queue/data?session_hash=waiting`));
  await running.next((m) => m.msg === "process_starts");
  await waiting.next((m) => m.msg === "estimation");
  child.kill("SIGTERM");
  // The waiting user is told as the shutdown begins: from then on joins are refused.
  const told = await waiting.next((m) => m.msg === "process_completed");
  const late = await join("late").then(
    (r) => r.status,
    () => 0,
  );
  assert.ok(late === 503 || late === 0, `a join after SIGTERM is refused (got ${late})`);
  const run = await running.next((m) => m.msg === "process_completed");
  assert.equal(run.success, true, "the running call finished");
  assert.equal(told.success, false, "the waiting user was told");
  assert.equal(await exited, "SIGTERM");
});

test("FileSweeper deletes uploads and outputs older than fileTtlMs, keeps young ones", async () => {
  const root = await mkdtemp(join(tmpdir(), "usher-sweep-"));
  const old = new Date(Date.now() - 2 * 3600_000);
  for (const [folder, name, aged] of [
    ["uploads", "a", true],
    ["uploads", "b", false],
    ["outputs", "c", true],
    ["outputs", "d", false],
  ] as const) {
    await mkdir(join(root, folder, name), { recursive: true });
    await writeFile(join(root, folder, name, "f.txt"), "x");
    if (aged) await utimes(join(root, folder, name), old, old);
  }
  const sweeper = new FileSweeper({ root, ttlMs: 3600_000 });
  assert.equal(await sweeper.sweep(), 2);
  assert.deepEqual(await readdir(join(root, "uploads")), ["b"]);
  assert.deepEqual(await readdir(join(root, "outputs")), ["d"]);
  // Its timer never holds the process open.
  const before = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  sweeper.start();
  assert.equal(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length, before);
  await sweeper.stop();
  assert.equal(resolveLaunchOptions({}).fileTtlMs, 3600_000);
  assert.throws(() => resolveLaunchOptions({ fileTtlMs: 5 }), /fileTtlMs/);
});

function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

function collect(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve) => {
    let out = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => (out += d));
    child.once("close", () => resolve(out));
  });
}
