/**
 * Writes a run's results to `bench/results/<YYYY-MM-DD>.json`. A run of some scenarios merges
 * into the day's file: scenarios it ran are replaced, the others are kept.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ScenarioResult } from "../scenarios/Scenario.ts";

/** Where result files go. */
export const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

/** The machine a run was taken on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly os: string;
}

/** Describes this machine. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cpus: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** A scenario's result as stored, with when and how it ran. */
export interface StoredScenario extends ScenarioResult {
  readonly ranAt: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** Contents of a results file. */
export interface ResultsFile {
  readonly date: string;
  readonly updatedAt: string;
  readonly machine: MachineInfo;
  readonly scenarios: Readonly<Record<string, StoredScenario>>;
}

/** Where and when {@link writeResults} writes. */
export interface WriteOptions {
  /** File to merge into. @default `bench/results/<date of now>.json` */
  readonly path?: string | undefined;
  /** @default new Date() */
  readonly now?: Date;
}

/** Merges `results` into the results file (today's by default) and returns its path. */
export function writeResults(
  results: readonly ScenarioResult[],
  options: Readonly<Record<string, unknown>>,
  { path: chosen, now = new Date() }: WriteOptions = {},
): string {
  const date = now.toISOString().slice(0, 10);
  const path = resolve(chosen ?? `${RESULTS_DIR}${date}.json`);
  mkdirSync(dirname(path), { recursive: true });
  let scenarios: Record<string, StoredScenario> = {};
  if (existsSync(path)) {
    try {
      scenarios = { ...(JSON.parse(readFileSync(path, "utf8")) as ResultsFile).scenarios };
    } catch {
      scenarios = {};
    }
  }
  for (const r of results) scenarios[r.name] = { ...r, ranAt: now.toISOString(), options };
  const file: ResultsFile = { date, updatedAt: now.toISOString(), machine: machineInfo(), scenarios };
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`);
  renameSync(tmp, path);
  return path;
}
