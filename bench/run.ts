/**
 * `npm run bench [-- <scenario>... ] [options]`: runs the scenarios against the floor and Usher,
 * back to back, prints one table per scenario and writes `bench/results/<date>.json`.
 *
 * Options:
 *   --target=floor,usher   targets to run (default: both)
 *   --client=raw|node-http load generator's HTTP client (default: raw sockets)
 *   --quick                shorter windows (×0.4) for a fast look; not for the record
 *   --time-scale=<x>       multiply warm-up and measurement windows by x
 *   --no-save              do not write the results file
 *   --out=<path>           write the results there instead of bench/results/<date>.json
 *   --list                 list scenarios and exit
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { formatScenario } from "./report/printReport.ts";
import { machineInfo, writeResults } from "./report/writeResults.ts";
import { allScenarios } from "./scenarios/allScenarios.ts";
import type { BenchContext, ScenarioResult } from "./scenarios/Scenario.ts";
import type { HttpClientKind } from "./load/SseTransport.ts";
import { TARGETS, type TargetName } from "./servers/spawnServer.ts";

interface Args {
  readonly scenarios: readonly string[];
  readonly targets: readonly TargetName[];
  readonly client: HttpClientKind;
  readonly timeScale: number;
  readonly save: boolean;
  readonly out: string | null;
  readonly list: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const scenarios: string[] = [];
  let targets: TargetName[] = [...TARGETS];
  let client: HttpClientKind = "raw";
  let timeScale = 1;
  let save = true;
  let out: string | null = null;
  let list = false;
  for (const arg of argv) {
    const eq = arg.indexOf("=");
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const value = eq === -1 ? "" : arg.slice(eq + 1);
    if (!arg.startsWith("--")) scenarios.push(arg);
    else if (flag === "--target") {
      targets = value.split(",").filter((t): t is TargetName => (TARGETS as readonly string[]).includes(t));
      if (targets.length === 0) throw new TypeError(`Expected --target=floor|usher|floor,usher, got ${arg}`);
    } else if (flag === "--client") {
      if (value !== "raw" && value !== "node-http") throw new TypeError(`Expected --client=raw|node-http, got ${arg}`);
      client = value;
    } else if (flag === "--quick") timeScale = 0.4;
    else if (flag === "--time-scale") {
      timeScale = Number(value);
      if (!(timeScale > 0)) throw new TypeError(`Expected --time-scale=<number > 0>, got ${arg}`);
    } else if (flag === "--no-save") save = false;
    else if (flag === "--out") {
      if (value === "") throw new TypeError(`Expected --out=<path>, got ${arg}`);
      out = value;
    } else if (flag === "--list") list = true;
    else throw new TypeError(`Unknown option ${arg} (see bench/README.md)`);
  }
  const known = new Set(allScenarios.map((s) => s.name));
  const unknown = scenarios.filter((s) => !known.has(s));
  if (unknown.length > 0)
    throw new TypeError(`Unknown scenario ${unknown.join(", ")}; known: ${[...known].join(", ")}`);
  return { scenarios, targets, client, timeScale, save, out, list };
}

/**
 * The bench runs Usher's built package (bench/servers/loadUsher.ts): `dist/` is built first when
 * stale, as `npm run bench` does, so that running this file directly never measures an old build.
 * Not for `USHER_FROM=source`, nor for the device's bundle (no compiler there).
 */
function ensureBuilt(): void {
  if (process.env["USHER_FROM"] === "source" || process.env["USHER_BENCH_BUNDLE"] !== undefined) return;
  const script = fileURLToPath(new URL("../scripts/ensure-dist.mjs", import.meta.url));
  const r = spawnSync(process.execPath, [script], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("building dist/ failed (scripts/ensure-dist.mjs)");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const s of allScenarios) console.log(`${s.name.padEnd(10)} ${s.description}`);
    return;
  }
  ensureBuilt();
  const chosen =
    args.scenarios.length === 0 ? allScenarios : allScenarios.filter((s) => args.scenarios.includes(s.name));
  const ctx: BenchContext = {
    targets: args.targets,
    client: args.client,
    timeScale: args.timeScale,
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const machine = machineInfo();
  console.log(
    `usher bench: ${chosen.map((s) => s.name).join(", ")} against ${args.targets.join(" + ")}; ` +
      `client ${args.client}, time scale ${args.timeScale}; ${machine.cpus}× ${machine.cpuModel}, Node ${machine.node}\n`,
  );
  const startedMs = performance.now();
  const results: ScenarioResult[] = [];
  for (const scenario of chosen) {
    ctx.log(`${scenario.name}...`);
    const result = await scenario.run(ctx);
    results.push(result);
    console.log(`${formatScenario(result)}\n`);
  }
  const checks = results.flatMap((r) => r.checks);
  const count = (pass: boolean | null): number => checks.filter((c) => c.pass === pass).length;
  console.log(
    `targets: ${count(true)} passed, ${count(false)} failed, ${count(null)} not checked; ` +
      `took ${((performance.now() - startedMs) / 1000).toFixed(0)} s`,
  );
  if (args.save) {
    const options = { targets: args.targets, client: args.client, timeScale: args.timeScale };
    const path = writeResults(results, options, { path: args.out ?? undefined });
    console.log(`results: ${path}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
