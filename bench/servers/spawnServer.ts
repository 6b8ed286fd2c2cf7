/**
 * The parent-process side: starts a server under test in its own Node process (so that the load
 * generator and the server each get a core), waits for its URL and stops it afterwards.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { READY_PREFIX } from "./serveChild.ts";
import type { ServerSpec } from "./ServerSpec.ts";

/** The servers a scenario runs against. */
export type TargetName = "floor" | "usher";

/** Every target, in the order they run. */
export const TARGETS: readonly TargetName[] = ["floor", "usher"];

/** A server under test running in a child process. */
export interface SpawnedServer {
  readonly target: TargetName;
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL if it has not exited after a grace period. */
  stop(): Promise<void>;
}

const ENTRIES: Record<TargetName, string> = {
  floor: fileURLToPath(new URL("./floor.ts", import.meta.url)),
  usher: fileURLToPath(new URL("./usher.ts", import.meta.url)),
};
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STOP_GRACE_MS = 5000;

/** Starts `target` serving `spec`; rejects with the child's stderr if it fails to come up. */
export async function spawnServer(target: TargetName, spec: ServerSpec, startTimeoutMs = 30_000): Promise<SpawnedServer> {
  const child = spawn(
    process.execPath,
    ["--conditions=usher-source", "--import", "tsx", ENTRIES[target], JSON.stringify(spec)],
    { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exited = false;
  child.once("exit", () => (exited = true));

  const url = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${target} server did not start: ${why}${stderr === "" ? "" : `\n${stderr.trim()}`}`));
    };
    const timer = setTimeout(() => fail(`no ${READY_PREFIX.trim()} line after ${startTimeoutMs} ms`), startTimeoutMs);
    child.once("exit", (code, signal) => fail(`exited with ${signal ?? code}`));
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      const at = stdout.indexOf(READY_PREFIX);
      const nl = at === -1 ? -1 : stdout.indexOf("\n", at);
      if (nl === -1) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.once("exit", () => (exited = true));
      child.stdout.removeAllListeners("data");
      child.stdout.resume();
      resolve(stdout.slice(at + READY_PREFIX.length, nl).trim());
    });
  });

  return {
    target,
    url,
    pid: child.pid ?? -1,
    async stop() {
      if (exited) return;
      const gone = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    },
  };
}
