/**
 * A private `redis-server` for the tests that break Redis (kill, restart, pause): on a free port,
 * with no persistence (a restart comes back empty), so the shared one on 6379 is never disturbed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { after } from "node:test";

/** A free TCP port on 127.0.0.1 (free when asked; fine for a test). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

/** A private Redis that can be killed, restarted (empty) and paused; killed when the test file ends. */
export class RedisServer {
  readonly port: number;
  #child: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts one on a free port; call it at the top level of a test file (it is killed when the file ends). */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    after(() => server.kill());
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** Starts it again (empty) on the same port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    if (this.#child !== null) return;
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    child.stdout.setEncoding("utf8");
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.once("exit", (code) => reject(new Error(`redis-server exited (${code})`)));
      child.stdout.on("data", (c: string) => {
        out += c;
        if (out.includes("Ready to accept connections")) {
          child.removeAllListeners("exit");
          resolve();
        }
      });
    });
    child.stdout.resume();
    this.#child = child;
  }

  /** `kill -9`: its data is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, "exit");
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    await gone;
  }

  /** SIGSTOP (true) or SIGCONT (false): connections stay open, nothing is answered meanwhile. */
  pause(paused: boolean): void {
    this.#child?.kill(paused ? "SIGSTOP" : "SIGCONT");
  }
}
