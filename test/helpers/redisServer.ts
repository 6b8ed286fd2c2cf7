/**
 * A private `redis-server` for the tests that break Redis (kill, restart, pause): on a free port,
 * with no persistence (a restart comes back empty), so the shared one on 6379 is never disturbed.
 */
import type { ChildProcess } from "node:child_process";
import { after } from "node:test";
import { freePort, killProcess, spawnRedis } from "./redisProcess.ts";

export { freePort } from "./redisProcess.ts";

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
    const child = await spawnRedis(this.port);
    this.#child = child;
  }

  /** `kill -9`: its data is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    await killProcess(child);
  }

  /** SIGSTOP (true) or SIGCONT (false): connections stay open, nothing is answered meanwhile. */
  pause(paused: boolean): void {
    this.#child?.kill(paused ? "SIGSTOP" : "SIGCONT");
  }
}
