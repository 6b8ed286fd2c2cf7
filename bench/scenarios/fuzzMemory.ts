/**
 * Scenario "fuzzMemory": waves of 10 000 randomized malformed requests across every route (the
 * fuzz test's generator, test/helpers/malformedRequests.ts) against one Usher app, measuring heap
 * after garbage collection and RSS after each wave. Refused requests must cost nothing that stays:
 * the heap after the last wave is within 10% (or 2 MB) of the heap after the first. Also counts
 * answers that break the rule (a 5xx, or a 4xx without a JSON `detail`): the target is none.
 *
 * Usher only, in this process (the generator's garbage is collected before each reading); the
 * floor has no validation to compare with.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { Interface } from "../../src/index.ts";
import { launchApp } from "../../src/compose/launchApp.ts";
import { heapAfterGc } from "../../test/helpers/engineChurn.ts";
import { malformedRequest, RawClient, sendAll } from "../../test/helpers/malformedRequests.ts";
import type { BenchContext, Scenario, TargetCheck } from "./Scenario.ts";

const NAME = "fuzzMemory";
const TITLE = "Malformed requests: memory after GC across waves, and answers that break the rule";
const WAVE = 10_000;
const WAVES = 4;
const MAX_FILE_SIZE = 1024;

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;

export const fuzzMemory: Scenario = {
  name: NAME,
  title: TITLE,
  description: `${WAVES}×${WAVE} malformed requests; heap after GC stays flat (≤ +10%), no 5xx`,
  async run(ctx: BenchContext) {
    const checks: TargetCheck[] = [];
    if (!ctx.targets.includes("usher")) return { name: NAME, title: TITLE, points: [], checks };
    const cacheDir = await mkdtemp(join(tmpdir(), "usher-bench-fuzz-"));
    const demo = new Interface({
      fn: (a: string, n: number) => `${a}${n}`,
      inputs: ["text", "number"],
      outputs: "text",
      apiName: "predict",
    });
    const app = await launchApp(
      demo,
      { maxSize: 50 },
      {
        port: 0,
        quiet: true,
        logLevel: false,
        handleSignals: false,
        maxBodyBytes: 64 * 1024,
        maxFileSize: MAX_FILE_SIZE,
        cacheDir,
        sessionGraceMs: 200,
      },
    );
    const client = new RawClient(app.url);
    const heaps: number[] = [];
    let broken = 0;
    let sent = 0;
    const startHeap = heapAfterGc();
    const t0 = performance.now();
    try {
      for (let w = 0; w < WAVES; w++) {
        const requests = fc.sample(malformedRequest(MAX_FILE_SIZE), { numRuns: WAVE, seed: 1000 + w });
        broken += (await sendAll(client, requests)).length;
        sent += requests.length;
        // Sessions joined by valid-looking bodies end after their grace; let them go first.
        await new Promise((r) => setTimeout(r, 400));
        heaps.push(heapAfterGc());
        ctx.log(
          `  ${NAME}: wave ${w + 1}/${WAVES}, heap after GC ${mb(heaps[heaps.length - 1] ?? 0)}, RSS ${mb(process.memoryUsage().rss)}`,
        );
      }
    } finally {
      client.close();
      await app.close({ graceMs: 0 });
    }
    const seconds = (performance.now() - t0) / 1000;
    const first = heaps[0] ?? 0;
    const last = heaps[heaps.length - 1] ?? 0;
    const growth = last - first;
    checks.push({
      name: "usher: heap after GC, first → last wave",
      goal: "≤ +10% (or ≤ 2 MB)",
      actual: `${mb(first)} → ${mb(last)} (${growth >= 0 ? "+" : ""}${((growth / first) * 100).toFixed(1)}%; before any: ${mb(startHeap)})`,
      pass: growth <= Math.max(first * 0.1, 2 * 1024 * 1024),
    });
    checks.push({
      name: "usher: answers breaking the rule",
      goal: "0 (no 5xx, every 4xx a JSON detail)",
      actual: `${broken} of ${sent}`,
      pass: broken === 0,
    });
    checks.push({
      name: "usher: malformed requests per second",
      goal: "(figure)",
      actual: `${Math.round(sent / seconds)}/s, RSS ${mb(process.memoryUsage().rss)}`,
      pass: null,
    });
    return { name: NAME, title: TITLE, points: [], checks };
  },
};
