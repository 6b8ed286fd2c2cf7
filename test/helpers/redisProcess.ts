/**
 * Private `redis-server` processes and free ports, for the tests and benches that must not disturb
 * the shared Redis on 6379. Nothing here registers test hooks (see redisServer.ts for that), so a
 * bench may use it too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";

/** A free TCP port on 127.0.0.1 (free when asked; fine for a test). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || address === null) throw new Error("no free port");
  return address.port;
}

/**
 * Starts `redis-server` on `port` of 127.0.0.1 with no persistence; resolves once it accepts
 * connections. `wrapper`: a command that runs the server (e.g. Valgrind and its options), if any;
 * `config`: more of the server's options (e.g. `["--hz", "1"]`).
 */
export async function spawnRedis(
  port: number,
  wrapper: readonly string[] = [],
  config: readonly string[] = [],
): Promise<ChildProcess> {
  const server = ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  server.push(...config);
  const [command = "", ...args] = [...wrapper, ...server];
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "ignore"] });
  child.stdout.setEncoding("utf8");
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code})`)));
    child.stdout.on("data", (c: string) => {
      out += c;
      if (!out.includes("Ready to accept connections")) return;
      child.removeAllListeners("exit");
      resolve();
    });
  });
  child.stdout.resume();
  return child;
}

/** `kill -9` (after SIGCONT, in case it was paused): its data is gone. Resolves once it exited. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, "exit");
  child.kill("SIGCONT");
  child.kill("SIGKILL");
  await gone;
}
