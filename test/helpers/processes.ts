/**
 * Child processes for the multi-process tests: spawns Node on a TypeScript entry (through tsx),
 * waits for its `READY …` line, and kills it (SIGKILL unless asked otherwise) when the file ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { after } from "node:test";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Kills of every child spawned by this file; run when the test file ends. */
const started: (() => Promise<void>)[] = [];
// Registered when a test file imports this helper (at its top level): runs after all its tests.
after(() => Promise.all(started.map((kill) => kill())));

/** A started child: its process and what followed READY on its ready line. */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly ready: string;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns `node --conditions=usher-source --import tsx <args>` in the repo root with `env` added,
 * and resolves once it prints a line starting with "READY". Rejects with its stderr if it exits or
 * takes longer than `timeoutMs`.
 */
export async function spawnReady(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<Child> {
  const child = spawn(process.execPath, ["--conditions=usher-source", "--import", "tsx", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const kill = async (signal: NodeJS.Signals = "SIGKILL"): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, "exit");
    child.kill(signal);
    await gone;
  };
  started.push(kill);
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (c: string) => {
    stderr = (stderr + c).slice(-4000);
  });
  const ready = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`no READY from ${args.join(" ")} in ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    );
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited (${signal ?? code}) before READY\n${stderr}`));
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (c: string) => {
      out += c;
      const m = /^READY ?(.*)$/m.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve((m[1] ?? "").trim());
      }
    });
  });
  return { process: child, pid: child.pid ?? -1, ready, kill };
}
