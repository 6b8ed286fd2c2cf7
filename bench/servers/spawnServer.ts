/**
 * The parent-process side: starts a server under test in its own Node process (so that the load
 * generator and the server each get a core), waits for its URL and stops it afterwards.
 */
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { extraNodeArgs, spawnNodeChild } from "./nodeChild.ts";
import { CALLS_PREFIX, READY_PREFIX } from "./serveChild.ts";
import type { ServerSpec } from "./ServerSpec.ts";

/** The servers a scenario runs against. */
export type TargetName = "floor" | "usher";

/** Every target, in the order they run. */
export const TARGETS: readonly TargetName[] = ["floor", "usher"];

/** What a child told on its way out. */
export interface StopReport {
  /** Inputs of every function call in call order, when the spec asked for `recordCalls`. */
  readonly calls: string[] | null;
}

/** A server under test running in a child process. */
export interface SpawnedServer {
  readonly target: TargetName;
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL if it has not exited after a grace period. */
  stop(): Promise<StopReport>;
}

const ENTRIES: Record<TargetName, string> = {
  floor: fileURLToPath(new URL("./floor.ts", import.meta.url)),
  usher: fileURLToPath(new URL("./usher.ts", import.meta.url)),
};
const STOP_GRACE_MS = 5000;

export { extraNodeArgs } from "./nodeChild.ts";

/** Starts `target` serving `spec`; rejects with the child's stderr if it fails to come up. */
export async function spawnServer(
  target: TargetName,
  spec: ServerSpec,
  startTimeoutMs = 30_000,
): Promise<SpawnedServer> {
  const { child } = spawnNodeChild(ENTRIES[target], [JSON.stringify(spec)], {
    pin: true,
    nodeArgs: extraNodeArgs(),
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let exited = false;
  child.once("exit", () => (exited = true));
  /** Stdout after the ready line. */
  let after = "";
  const report = (): StopReport => {
    const line = after.split("\n").find((l) => l.startsWith(CALLS_PREFIX));
    return { calls: line === undefined ? null : (JSON.parse(line.slice(CALLS_PREFIX.length)) as string[]) };
  };

  const url = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      // The first line that names an error says most; the whole stderr tail follows it.
      const errorLine = stderr
        .split("\n")
        .find((line) => /Error\b/.test(line))
        ?.trim();
      const summary = errorLine === undefined ? why : `${why}: ${errorLine}`;
      reject(new Error(`${target} server did not start: ${summary}${stderr === "" ? "" : `\n${stderr.trim()}`}`));
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
      after = stdout.slice(nl + 1);
      child.stdout.on("data", (more: string) => (after += more));
      resolve(stdout.slice(at + READY_PREFIX.length, nl).trim());
    });
  });

  return {
    target,
    url,
    pid: child.pid ?? -1,
    async stop() {
      if (!exited) {
        // "close" (not "exit"): stdout has been read to its end, call log included.
        const gone = once(child, "close");
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
        await gone;
        clearTimeout(timer);
      }
      return report();
    },
  };
}
