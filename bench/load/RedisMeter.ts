/**
 * Redis's own count of the work done during a measurement window: `INFO commandstats` (calls per
 * command, Lua-internal calls included), `INFO stats` (`total_commands_processed`) and `INFO cpu`
 * (the server's user + system CPU). It reads deltas rather than running `CONFIG RESETSTAT`, because
 * the Redis it meters may be shared: a reset would wipe other users' statistics, and deltas give
 * the same figures. Whatever other clients send inside the window counts too; the MONITOR sample
 * ({@link RedisMonitor}) says how much that was.
 */
import { Redis } from "ioredis";

/** What Redis did between {@link RedisMeter.start} and {@link RedisMeter.stop}. */
export interface RedisReading {
  /** Wall time between the two readings, ms. */
  readonly wallMs: number;
  /** Sum of every command's `calls` (commandstats), Lua-internal calls included. */
  readonly calls: number;
  /** `calls` per command name (lower case, e.g. "evalsha", "hset"). */
  readonly callsByCommand: Readonly<Record<string, number>>;
  /**
   * `total_commands_processed`. On Redis 7 it counts a script's own calls too, so it equals
   * `calls`; older servers count only the commands clients sent.
   */
  readonly processed: number;
  /** Redis's CPU time (`used_cpu_user + used_cpu_sys`), ms. */
  readonly cpuMs: number;
  /** Time inside script calls (`usec` of `evalsha`, `eval`, `fcall`), µs: the scripts with what they call. */
  readonly scriptUs: number;
  /** Script and function calls (`evalsha`, `eval`, `fcall`): a node's batches and lone scripts. */
  readonly scriptCalls: number;
}

interface Snapshot {
  readonly atMs: number;
  readonly calls: Map<string, number>;
  readonly processed: number;
  readonly cpuMs: number;
  readonly scriptUs: number;
}

/** The commands that run scripts: their `usec` holds the Lua and every command it called. */
const SCRIPT_COMMANDS = new Set(["evalsha", "eval", "fcall", "evalsha_ro", "eval_ro", "fcall_ro"]);

/** Reads Redis's counters at the edges of a window, on a connection of its own. */
export class RedisMeter {
  readonly #redis: Redis;
  #start: Promise<Snapshot> | null = null;

  /** @param url Redis URL, e.g. "redis://127.0.0.1:6379". */
  constructor(url: string) {
    this.#redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  }

  /** Opens the window; the reading is taken in the background so a timer callback can call it. */
  start(): void {
    this.#start = this.#snapshot();
    // A failed start is reported by stop(); until then it must not be an unhandled rejection.
    this.#start.catch(() => undefined);
  }

  /** Closes the window and returns what Redis did inside it. */
  async stop(): Promise<RedisReading> {
    if (this.#start === null) throw new Error("RedisMeter.stop() before start()");
    const end = await this.#snapshot();
    const start = await this.#start;
    this.#start = null;
    const callsByCommand: Record<string, number> = {};
    let calls = 0;
    let scriptCalls = 0;
    for (const [name, count] of end.calls) {
      const delta = count - (start.calls.get(name) ?? 0);
      if (delta <= 0) continue;
      callsByCommand[name] = delta;
      calls += delta;
      if (SCRIPT_COMMANDS.has(name)) scriptCalls += delta;
    }
    return {
      wallMs: end.atMs - start.atMs,
      calls,
      callsByCommand,
      processed: end.processed - start.processed,
      cpuMs: end.cpuMs - start.cpuMs,
      scriptUs: end.scriptUs - start.scriptUs,
      scriptCalls,
    };
  }

  /** Closes the meter's connection. */
  close(): void {
    this.#redis.disconnect();
  }

  async #snapshot(): Promise<Snapshot> {
    // One pipeline: the three sections are read within one round trip of each other.
    const replies = await this.#redis.pipeline().info("commandstats").info("stats").info("cpu").exec();
    const text = (i: number): string => {
      const [error, value] = replies?.[i] ?? [new Error("no reply"), null];
      if (error !== null) throw error;
      return String(value);
    };
    const atMs = performance.now();
    const calls = new Map<string, number>();
    let scriptUs = 0;
    for (const m of text(0).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
      calls.set(m[1] as string, Number(m[2]));
      if (SCRIPT_COMMANDS.has(m[1] as string)) scriptUs += Number(m[3]);
    }
    const stats = infoFields(text(1));
    const cpu = infoFields(text(2));
    return {
      atMs,
      calls,
      processed: stats.get("total_commands_processed") ?? 0,
      cpuMs: ((cpu.get("used_cpu_user") ?? 0) + (cpu.get("used_cpu_sys") ?? 0)) * 1000,
      scriptUs,
    };
  }
}

/** The numeric `name:value` lines of an INFO section. */
function infoFields(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const m of text.matchAll(/^([a-z_]+):([\d.]+)\r?$/gm)) fields.set(m[1] as string, Number(m[2]));
  return fields;
}

/** The readings of several windows as one (their times, calls and CPU added up). */
export function sumReadings(readings: readonly RedisReading[]): RedisReading {
  const callsByCommand: Record<string, number> = {};
  for (const r of readings)
    for (const [name, calls] of Object.entries(r.callsByCommand))
      callsByCommand[name] = (callsByCommand[name] ?? 0) + calls;
  const sum = (f: (r: RedisReading) => number): number => readings.reduce((t, r) => t + f(r), 0);
  return {
    wallMs: sum((r) => r.wallMs),
    calls: sum((r) => r.calls),
    callsByCommand,
    processed: sum((r) => r.processed),
    cpuMs: sum((r) => r.cpuMs),
    scriptUs: sum((r) => r.scriptUs),
    scriptCalls: sum((r) => r.scriptCalls),
  };
}
