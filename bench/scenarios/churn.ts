/**
 * Scenario "churn": 100 000 users join and leave the real queue engine and session hub in every
 * way a user can (never open their stream, drop it while waiting, drop it while running, stay to
 * the end), in this process on a manual clock (test/helpers/engineChurn.ts, the driver of
 * test/server/churn.test.ts), then 2 000 more through real HTTP against a launched app. Reports
 * heap after garbage collection before and after each part; the target is within 10%.
 *
 * Usher only: the floor has no queue to leave.
 */
import { request } from "node:http";
import { Interface } from "../../src/index.ts";
import { launchApp } from "../../src/compose/launchApp.ts";
import { heapAfterGc, runEngineChurn } from "../../test/helpers/engineChurn.ts";
import type { BenchContext, Scenario, TargetCheck } from "./Scenario.ts";

const NAME = "churn";
const TITLE = "100 000 join-and-leave cycles: heap after GC before and after";
const CYCLES = 100_000;
const HTTP_CYCLES = 2000;

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;

function heapCheck(name: string, before: number, after: number): TargetCheck {
  const change = (after - before) / before;
  return {
    name,
    goal: "within 10%",
    actual: `${mb(before)} → ${mb(after)} (${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)}%)`,
    pass: Math.abs(change) <= 0.1,
  };
}

/** Real-HTTP churn: a third never open their stream, a third leave at the first message, a third stay. */
async function httpChurn(cycles: number): Promise<{ before: number; after: number; ms: number }> {
  const demo = new Interface({
    fn: async (s: string, ctx: { signal: AbortSignal }) => {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, s.startsWith("leave") ? 5000 : 5);
        ctx.signal.addEventListener(
          "abort",
          () => {
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
  const u = new URL(app.url);
  const cycle = async (i: number): Promise<void> => {
    const session = `b${i}`;
    const res = await fetch(`${app.url}/gradio_api/queue/join`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: [i % 3 === 1 ? `leave${i}` : `stay${i}`], fn_index: 0, session_hash: session }),
    });
    await res.text();
    if (i % 3 === 0) return;
    await new Promise<void>((resolve) => {
      const req = request(
        { host: u.hostname, port: u.port, path: `/gradio_api/queue/data?session_hash=${session}`, agent: false },
        (r) => {
          r.on("data", () => {
            if (i % 3 === 1) req.destroy();
          });
          r.on("close", () => resolve());
        },
      );
      req.on("error", () => resolve());
      req.end();
    });
  };
  const run = async (from: number, to: number): Promise<void> => {
    let next = from;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        while (next < to) await cycle(next++);
      }),
    );
    for (
      let i = 0;
      i < 300 && ((await app.engine.size()) > 0 || (app.engine.poolCounts().get("default")?.running ?? 0) > 0);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 1200)); // grace of the last sessions
  };
  try {
    await run(0, 200); // warm-up: code compiled, pools filled
    const before = heapAfterGc();
    const t0 = performance.now();
    await run(200, 200 + cycles);
    const ms = performance.now() - t0;
    return { before, after: heapAfterGc(), ms };
  } finally {
    await app.close({ graceMs: 0 });
  }
}

export const churn: Scenario = {
  name: NAME,
  title: TITLE,
  description: `${CYCLES} in-process + ${HTTP_CYCLES} HTTP join/leave cycles; heap after GC within 10%`,
  async run(ctx: BenchContext) {
    const checks: TargetCheck[] = [];
    if (!ctx.targets.includes("usher")) return { name: NAME, title: TITLE, points: [], checks };
    await runEngineChurn(2000); // warm-up
    const f = await runEngineChurn(CYCLES);
    ctx.log(`  ${NAME}: ${CYCLES} in-process cycles in ${Math.round(f.ms)} ms`);
    checks.push(heapCheck(`usher: heap after GC, ${CYCLES} in-process cycles`, f.heapBefore, f.heapAfter));
    checks.push({
      name: "usher: in-process cycles",
      goal: "(figure)",
      actual: `${Math.round(CYCLES / (f.ms / 1000))}/s; ${f.calls} calls, ${f.aborted} aborted (${f.leftWhileRunning} left while running)`,
      pass: f.aborted >= f.leftWhileRunning,
    });
    const h = await httpChurn(HTTP_CYCLES);
    ctx.log(`  ${NAME}: ${HTTP_CYCLES} HTTP cycles in ${Math.round(h.ms)} ms`);
    checks.push(heapCheck(`usher: heap after GC, ${HTTP_CYCLES} HTTP cycles`, h.before, h.after));
    return { name: NAME, title: TITLE, points: [], checks };
  },
};
