/**
 * What the servers of the `connections` scenario (bench/servers/connectionsServer.ts, Usher, and
 * bench/servers/connectionsFloor.ts, the floor) answer over IPC, and the two measurements they
 * share, so that both are read the same way.
 */
import { performance } from "node:perf_hooks";
import { startLoopProbe } from "./loopProbe.ts";

/** Probe requests from the parent. */
export type ProbeRequest = { readonly cmd: "mem" } | { readonly cmd: "round" } | { readonly cmd: "size" };

/** Memory after GC, bytes. */
export interface MemReading {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

/** One status round, measured in the server. */
export interface RoundReading {
  /** Event-loop busy time from the start of the round to the last estimation written, ms. */
  readonly activeMs: number;
  /** Wall time of the same span, ms. */
  readonly wallMs: number;
  /**
   * Longest stretch the event loop was held without a turn in the same span (and up to the next
   * turn after it), ms: what a timer or another connection's I/O may have waited.
   */
  readonly longestStretchMs: number;
  /** CPU time of the process in the same span: in JavaScript and libraries (user), in the kernel (system), ms. */
  readonly userMs: number;
  readonly systemMs: number;
  /** Estimations sent in the round. */
  readonly estimations: number;
}

/** Memory after three garbage collections (run with `--expose-gc`; without it, garbage counts too). */
export async function memAfterGc(): Promise<MemReading> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

/**
 * Measures one round: `send` starts it and answers (at once, or once the last estimation is
 * written) how many estimations it sent.
 */
export async function measureRound(send: () => number | Promise<number>): Promise<RoundReading> {
  const probe = startLoopProbe();
  const start = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sent = send();
  const estimations = typeof sent === "number" ? sent : await sent;
  const wallMs = performance.now() - t0;
  const activeMs = performance.eventLoopUtilization(start).active;
  const cpu = process.cpuUsage(cpu0);
  return {
    activeMs,
    wallMs,
    longestStretchMs: await probe.stop(),
    userMs: cpu.user / 1000,
    systemMs: cpu.system / 1000,
    estimations,
  };
}
