/**
 * Starts one process of an Usher deployment (`clusterChild.ts`: a front or a worker, memory or
 * Redis store) from `src/` through tsx (or its bundle: `nodeChild.ts`), and waits for its `LISTENING` line.
 */
import { once } from "node:events";
import { appendFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ClusterChildSpec } from "./clusterChild.ts";
import { extraNodeArgs, spawnNodeChild } from "./nodeChild.ts";

const CHILD = fileURLToPath(new URL("./clusterChild.ts", import.meta.url));
/** How long a child may take to print `LISTENING` (tsx compiles `src/` on start). */
const START_TIMEOUT_MS = 30_000;
/** How long a child may take to exit on SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 3000;

/** A running cluster process. */
export interface ClusterProcess {
  /** The front's root URL, or "worker". */
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** What the parent does with a child besides starting it. */
export interface ClusterChildOptions {
  /** Appends everything the child prints on stdout to this file (e.g. V8's `--trace-gc-nvp` lines). */
  readonly stdoutFile?: string;
}

/** Spawns `spec` and resolves once it listens; rejects (having stopped it) if it exits or stalls first. */
export async function startClusterChild(
  spec: ClusterChildSpec,
  options: ClusterChildOptions = {},
): Promise<ClusterProcess> {
  const { child } = spawnNodeChild(CHILD, [JSON.stringify(spec)], { pin: true, nodeArgs: extraNodeArgs() });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (c: string) => (stderr = (stderr + c).slice(-2000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  };
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`${spec.role} did not start in ${START_TIMEOUT_MS / 1000} s\n${stderr}`)),
      START_TIMEOUT_MS,
    );
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.role} exited (${code})\n${stderr}`));
    });
    child.stdout.setEncoding("utf8");
    const file = options.stdoutFile;
    if (file !== undefined) child.stdout.on("data", (c: string) => appendFileSync(file, c));
    const onData = (c: string): void => {
      out += c;
      const m = /LISTENING (\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.stdout.off("data", onData);
        resolve(m[1] as string);
      }
    };
    child.stdout.on("data", onData);
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { url, pid: child.pid ?? 0, stop };
}
