/**
 * Churn: 100 000 join-and-leave cycles. Users who never open their stream, who drop it while
 * waiting, who drop it while their function runs, and who stay to the end. Most cycles run
 * in-process against the real engine and session hub on a manual clock (no sleeps,
 * test/helpers/engineChurn.ts); a real-HTTP portion checks the same through sockets. Afterwards:
 * the queue is empty, every running function that lost its user saw its abort signal, no session,
 * timer, socket or listener is left.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { test } from "node:test";
import { Interface } from "../../src/index.ts";
import { launchApp } from "../../src/compose/launchApp.ts";
import { runEngineChurn } from "../helpers/engineChurn.ts";
import { waitFor } from "../helpers/waitFor.ts";

const CYCLES = Number(process.env["CHURN_CYCLES"] ?? 100_000);
const HTTP_CYCLES = Number(process.env["CHURN_HTTP_CYCLES"] ?? 300);

test(`${CYCLES} in-process join/leave cycles leave nothing behind`, async () => {
  const f = await runEngineChurn(CYCLES);
  console.log(
    `# churn: ${f.cycles} cycles in ${Math.round(f.ms)} ms, ${f.calls} calls, ${f.aborted} aborted; heap after GC ${mb(f.heapBefore)} -> ${mb(f.heapAfter)} MB`,
  );
  assert.ok(f.leftWhileRunning > 0);
  assert.ok(
    f.aborted >= f.leftWhileRunning,
    `every running call whose user left saw its abort (${f.aborted} of ${f.leftWhileRunning})`,
  );
  // Generous bound: a leak of ~100 bytes per cycle would already show as 10 MB.
  assert.ok(f.heapAfter - f.heapBefore < 8 * 1024 * 1024, `heap grew ${mb(f.heapAfter - f.heapBefore)} MB`);
});

test(`${HTTP_CYCLES} real-HTTP join/leave cycles: queue empty, no timer, socket or listener left`, async (t) => {
  const before = resources();
  const signalListeners = process.listenerCount("SIGTERM");
  let aborted = 0;
  let started = 0;
  const demo = new Interface({
    fn: async (s: string, ctx: { signal: AbortSignal }) => {
      started++;
      // Users who will leave run long, so that leaving while running is what ends them.
      const ms = s.startsWith("leave") ? 5000 : 10;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        ctx.signal.addEventListener(
          "abort",
          () => {
            aborted++;
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
      return s;
    },
    inputs: "text",
    outputs: "text",
  });
  const app = await launchApp(
    demo,
    { concurrencyCount: 64 },
    { port: 0, quiet: true, logLevel: false, handleSignals: false, sessionGraceMs: 1000, maxThreads: 128 },
  );
  t.after(() => app.close({ graceMs: 0 }));
  const P = `${app.url}/gradio_api`;
  const u = new URL(app.url);
  let completed = 0;
  let stayed = 0;
  const missed: string[] = [];
  const cycle = async (i: number): Promise<void> => {
    const session = `h${i}`;
    const res = await fetch(`${P}/queue/join`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: [i % 3 === 1 ? `leave${i}` : `stay${i}`], fn_index: 0, session_hash: session }),
    });
    const joined = await res.text();
    if (process.env["CHURN_DEBUG"]) console.error("joined", i, res.status, joined);
    assert.equal(res.status, 200);
    if (i % 3 === 0) return; // never opens its stream
    if (i % 3 === 2) stayed++;
    // Opens the stream; a third drop it after a moment (waiting or running), a third read to the end.
    await new Promise<void>((resolve) => {
      const req = request(
        { host: u.hostname, port: u.port, path: `/gradio_api/queue/data?session_hash=${session}`, agent: false },
        (r) => {
          let text = "";
          r.setEncoding("utf8");
          r.on("data", (c: string) => {
            text += c;
            // Leaves at its first message: an estimation (waiting) or process_starts (running).
            if (i % 3 === 1) req.destroy();
          });
          r.on("close", () => {
            if (process.env["CHURN_DEBUG"]) console.error("closed", i, text.slice(0, 200));
            if (text.includes("process_completed")) completed++;
            else if (i % 3 === 2) missed.push(text.slice(0, 300));
            resolve();
          });
        },
      );
      req.on("error", () => resolve());
      req.end();
    });
  };
  const inFlight = 40;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < HTTP_CYCLES) await cycle(next++);
    }),
  );
  // Grace passes for the dropped and the never-opened.
  await waitFor(
    async () => (await app.engine.size()) === 0 && app.engine.poolCounts().get("default")?.running === 0,
    4000,
  ).catch(() => undefined);
  assert.equal(await app.engine.size(), 0);
  assert.deepEqual(missed.slice(0, 3), [], `${stayed - completed} of ${stayed} who stayed got no result`);
  assert.ok(aborted > 0, "users who left while running had their function aborted");
  await app.close({ graceMs: 0 });
  // Closed sockets leave the handle list on the loop's next turns.
  await waitFor(() => JSON.stringify(resources()) === JSON.stringify(before), 2000).catch(() => undefined);
  assert.deepEqual(resources(), before, "no timer or socket left after close");
  assert.equal(process.listenerCount("SIGTERM"), signalListeners);
  console.log(`# http churn: ${HTTP_CYCLES} cycles, ${started} started, ${completed} completed, ${aborted} aborted`);
});

/** Active handles by kind, without the ones any idle test process has. */
function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (r !== "FSReqCallback") out[r] = (out[r] ?? 0) + 1;
  return out;
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
