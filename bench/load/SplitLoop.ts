/**
 * Closed-loop users split over several generator processes (`loopChild.ts`), for loads one Node
 * process cannot send: eight fronts on sixteen cores serve more predictions per second than one
 * generator's core can make, and a generator at its limit measures itself, not the servers.
 *
 * User g (0-based, over all processes) runs in process g mod K and talks to front g mod N, as a
 * {@link ClosedLoop} would spread them; inputs and client addresses are the global index's. Each
 * round starts in every process at once; the records come back with their times moved onto this
 * process's `performance.now()` (the processes share the machine's wall clock), and the
 * generator's CPU is the sum over the processes. `USHER_BENCH_GENERATORS` sets K where a
 * scenario offers it.
 */
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { spawnNodeChild } from "../servers/nodeChild.ts";
import type { LoadLoop, LoadRun } from "./ClosedLoop.ts";
import { meterWindow, type CpuMeter, type CpuReading } from "./CpuMeter.ts";
import { envInteger } from "./envInteger.ts";
import type { HttpClientKind } from "./SseTransport.ts";
import type { LoadProtocol } from "./transportFor.ts";
import type { RequestRecord } from "./Transport.ts";

const CHILD = fileURLToPath(new URL("./loopChild.ts", import.meta.url));
/** How long a share may take to start. */
const START_TIMEOUT_MS = 30_000;
/** How long a round may outlast its warm-up and window (a share's users drain for 2 s at most). */
const ROUND_MARGIN_MS = 15_000;

/** What one share runs. */
export interface LoopShareSpec {
  readonly protocol: LoadProtocol;
  /** The fronts' root URLs: user g talks to urls[g mod urls.length]. */
  readonly urls: readonly string[];
  /** Global indices of this share's users. */
  readonly users: readonly number[];
  readonly freshSession: boolean;
  readonly client?: HttpClientKind;
}

/** Parent → share. */
export type ToShare =
  | { readonly kind: "round"; readonly warmupMs: number; readonly durationMs: number }
  | { readonly kind: "close" };

/** Share → parent. */
export type FromShare =
  | { readonly kind: "ready" }
  | { readonly kind: "round"; readonly run: LoadRun; readonly timeOriginMs: number }
  | { readonly kind: "error"; readonly message: string };

/** The number of generator processes a scenario asks for: `USHER_BENCH_GENERATORS`, default 1 (no split). */
export function generatorCount(): number {
  return envInteger("USHER_BENCH_GENERATORS", 1, 1);
}

interface Share {
  readonly child: ReturnType<typeof spawnNodeChild>["child"];
  stderr: string;
}

/** See the file comment. */
export class SplitLoop implements LoadLoop {
  readonly #shares: readonly Share[];

  private constructor(shares: readonly Share[]) {
    this.#shares = shares;
  }

  /** Starts `processes` shares of `users` users (fewer when there are fewer users) and waits until each is ready. */
  static async start(
    options: Omit<LoopShareSpec, "users"> & { readonly users: number },
    processes: number,
  ): Promise<SplitLoop> {
    const count = Math.max(1, Math.min(processes, options.users));
    const shares: Share[] = [];
    try {
      for (let k = 0; k < count; k++) {
        const users: number[] = [];
        for (let g = k; g < options.users; g += count) users.push(g);
        const spec: LoopShareSpec = { ...options, users };
        const { child } = spawnNodeChild(CHILD, [JSON.stringify(spec)], {
          pin: false,
          spawn: { stdio: ["pipe", "pipe", "pipe", "ipc"], serialization: "advanced" },
        });
        const share: Share = { child, stderr: "" };
        child.stderr.setEncoding("utf8").on("data", (c: string) => (share.stderr = (share.stderr + c).slice(-2000)));
        child.stdout.resume();
        shares.push(share);
      }
      await Promise.all(shares.map((s, k) => reply(s, k, START_TIMEOUT_MS, "ready")));
    } catch (e) {
      for (const s of shares) s.child.kill("SIGKILL");
      throw e;
    }
    return new SplitLoop(shares);
  }

  async round(warmupMs: number, durationMs: number, meter?: CpuMeter): Promise<LoadRun> {
    const metered = meterWindow(meter, warmupMs, durationMs);
    try {
      const limitMs = warmupMs + durationMs + ROUND_MARGIN_MS;
      const replies = this.#shares.map((s, k) => reply(s, k, limitMs, "round"));
      const message: ToShare = { kind: "round", warmupMs, durationMs };
      for (const s of this.#shares) s.child.send(message);
      const runs = await Promise.all(replies);
      const cpu = metered.reading();
      const records: RequestRecord[] = [];
      for (const r of runs) {
        if (r.kind !== "round") continue;
        const shiftMs = r.timeOriginMs - performance.timeOrigin;
        for (const rec of r.run.records) records.push(shifted(rec, shiftMs));
      }
      return { records, windowMs: durationMs, cpu: combined(cpu, runs) };
    } finally {
      metered.cancel();
    }
  }

  close(): void {
    for (const s of this.#shares) {
      if (s.child.connected) s.child.send({ kind: "close" } satisfies ToShare);
      const timer = setTimeout(() => s.child.kill("SIGKILL"), 3000);
      s.child.once("exit", () => clearTimeout(timer));
    }
  }
}

/** The next message of `share`, which must be of `kind`; rejects if it is an error, or late, or the share exits. */
async function reply(share: Share, k: number, limitMs: number, kind: FromShare["kind"]): Promise<FromShare> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), limitMs);
  const exited = once(share.child, "exit", { signal: ac.signal }).then(([code]) => {
    throw new Error(`load share ${k} exited (${String(code)})\n${share.stderr}`);
  });
  try {
    const [message] = (await Promise.race([once(share.child, "message", { signal: ac.signal }), exited])) as [
      FromShare,
    ];
    if (message.kind === "error") throw new Error(`load share ${k}: ${message.message}`);
    if (message.kind !== kind) throw new Error(`load share ${k} said ${message.kind}, expected ${kind}`);
    return message;
  } catch (e) {
    if (ac.signal.aborted) throw new Error(`load share ${k} said nothing in ${limitMs} ms\n${share.stderr}`);
    throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
    exited.catch(() => undefined);
  }
}

/** `rec` with every time moved by `shiftMs`. */
function shifted(rec: RequestRecord, shiftMs: number): RequestRecord {
  const at = (t: number | null): number | null => (t === null ? null : t + shiftMs);
  return {
    ...rec,
    joinStartMs: rec.joinStartMs + shiftMs,
    joinedMs: at(rec.joinedMs),
    startedMs: at(rec.startedMs),
    firstChunkMs: at(rec.firstChunkMs),
    completedMs: at(rec.completedMs),
    endedMs: at(rec.endedMs),
    firstEstimation:
      rec.firstEstimation === null ? null : { ...rec.firstEstimation, atMs: rec.firstEstimation.atMs + shiftMs },
  };
}

/**
 * This process's reading with the shares' CPU added to the generator's (and taken out of "other"),
 * and the worst of their event-loop delays.
 */
function combined(own: CpuReading | null, runs: readonly FromShare[]): CpuReading | null {
  if (own === null) return null;
  let generatorCpu = own.generatorCpu;
  let busiest = own.generatorCpu;
  let p99 = own.generatorLoopDelayP99Ms;
  let max = own.generatorLoopDelayMaxMs;
  for (const r of runs) {
    const cpu = r.kind === "round" ? r.run.cpu : null;
    if (cpu === null) continue;
    generatorCpu += cpu.generatorCpu;
    busiest = Math.max(busiest, cpu.generatorCpu);
    p99 = Math.max(p99, cpu.generatorLoopDelayP99Ms);
    max = Math.max(max, cpu.generatorLoopDelayMaxMs);
  }
  const otherCpu = own.otherCpu === null ? null : Math.max(0, own.otherCpu - (generatorCpu - own.generatorCpu));
  return {
    ...own,
    generatorCpu,
    generatorBusiestCpu: busiest,
    otherCpu,
    generatorLoopDelayP99Ms: p99,
    generatorLoopDelayMaxMs: max,
  };
}
