/**
 * A MONITOR sample: every command Redis executes during a short window, on a raw connection of
 * its own, split into the commands the bench's server processes sent (top level: one per command a
 * client sent, so a pipelined batch or a MULTI/EXEC counts each of its commands) and the calls
 * their Lua scripts made (`[0 lua]` lines, which Redis writes right after the script's own line).
 * Everything else is other clients' (a shared Redis) and is only counted.
 *
 * MONITOR costs Redis and this process a lot, so a sample is taken in a window of its own that
 * is not used for throughput. The lines are kept as received and parsed after the window, so the
 * load generator's event loop does no parsing while it drives the load.
 */
import { connect, type Socket } from "node:net";
import { redisClientPorts } from "./redisClientPorts.ts";
import { sha1 } from "../../src/store/callScript.ts";
import { BATCH_FUNCTION, BATCH_LUA } from "../../src/store/redisBatch.ts";

/** What a MONITOR sample saw. */
export interface MonitorSample {
  /**
   * The window, `performance.now()` ms: from Redis's +OK (or `restart()`) to `stop()`. Count the predictions that
   * ended inside it: opening MONITOR takes a round trip, longer while the generator is busy.
   */
  readonly startMs: number;
  readonly endMs: number;
  readonly wallMs: number;
  /** Commands the watched processes sent (each one a client-to-Redis command). */
  readonly topLevel: number;
  /**
   * The same, with a batch of script calls (the store's batch script, `src/store/redisBatch.ts`)
   * counted as its calls: the steps of the predictions' paths, whichever command carried them.
   */
  readonly calls: number;
  /** Calls made by the watched processes' scripts. */
  readonly lua: number;
  /** Top-level commands per name, of the watched processes. */
  readonly topLevelByCommand: Readonly<Record<string, number>>;
  /**
   * The watched processes' top-level commands per second in the median 100 ms bin of the window
   * (by Redis's clock); null when the window held fewer than three bins. Work that comes in
   * batches (today's store lets ended sessions go every 5 s, thousands of commands at once) fills
   * a few bins and leaves the median alone: the median is the steady, per-prediction part.
   */
  readonly topLevelMedianPerS: number | null;
  /** {@link calls} per second in the median 100 ms bin of the window (as `topLevelMedianPerS`). */
  readonly callsMedianPerS: number | null;
  /** Lines of any other client (and their scripts). */
  readonly others: number;
  /** True when the sample outgrew its buffer and the tail was dropped. */
  readonly truncated: boolean;
}

/** Most bytes of MONITOR output kept per sample (about half a million lines). */
const MAX_BYTES = 64 * 1024 * 1024;

/** One MONITOR window over the Redis connections of `pids`. */
export class RedisMonitor {
  readonly #socket: Socket;
  readonly #pids: readonly number[];
  readonly #redisPort: number;
  readonly #chunks: Buffer[] = [];
  readonly #ports: Set<number>;
  #startMs = 0;
  #bytes = 0;
  #truncated = false;

  private constructor(socket: Socket, pids: readonly number[], redisPort: number) {
    this.#socket = socket;
    this.#pids = pids;
    this.#redisPort = redisPort;
    this.#ports = redisClientPorts(pids, redisPort);
    // Kept from the first byte: the +OK may share a chunk with the first lines (the parser skips it).
    socket.on("data", (chunk: Buffer) => {
      if (this.#bytes + chunk.length > MAX_BYTES) this.#truncated = true;
      else {
        this.#chunks.push(chunk);
        this.#bytes += chunk.length;
      }
    });
  }

  /** Connects, sends MONITOR and resolves once Redis has answered +OK: the window is open. */
  static async start(url: string, pids: readonly number[]): Promise<RedisMonitor> {
    const u = new URL(url);
    const port = Number(u.port || 6379);
    const socket = connect(port, u.hostname);
    const monitor = new RedisMonitor(socket, pids, port);
    const password = decodeURIComponent(u.password);
    const user = decodeURIComponent(u.username);
    const oks = password === "" ? 1 : 2;
    await new Promise<void>((resolve, reject) => {
      let seen = "";
      const onData = (chunk: Buffer): void => {
        if (seen.length > 4096) return;
        seen += chunk.toString("latin1");
        if (seen.startsWith("-")) reject(new Error(`MONITOR refused: ${seen.split("\r\n", 1)[0] ?? ""}`));
        else if (seen.split("+OK\r\n").length > oks) {
          socket.off("data", onData);
          resolve();
        }
      };
      socket.on("data", onData);
      socket.once("error", reject);
      if (password !== "") socket.write(user === "" ? `AUTH ${password}\r\n` : `AUTH ${user} ${password}\r\n`);
      socket.write("MONITOR\r\n");
    }).catch((e: unknown) => {
      socket.destroy();
      throw e;
    });
    monitor.#startMs = performance.now();
    return monitor;
  }

  /**
   * Drops what was seen so far and opens the window now: MONITOR slows the servers, and work
   * they do later for earlier predictions (a session's end) runs at the earlier, faster rate
   * until that has passed, so a sample opens MONITOR, lets that settle, then counts.
   */
  restart(): void {
    this.#chunks.length = 0;
    this.#bytes = 0;
    this.#truncated = false;
    this.#startMs = performance.now();
  }

  /** Closes the connection without counting (idempotent; `stop()` closes it too). */
  close(): void {
    this.#socket.destroy();
  }

  /** Closes the window and counts what it saw. */
  stop(): MonitorSample {
    const endMs = performance.now();
    this.#socket.destroy();
    // Connections opened during the window count as well as those open at its start.
    for (const port of redisClientPorts(this.#pids, this.#redisPort)) this.#ports.add(port);
    const window = { startMs: this.#startMs, endMs, wallMs: endMs - this.#startMs };
    return { ...window, truncated: this.#truncated, ...countMonitorLines(Buffer.concat(this.#chunks), this.#ports) };
  }
}

/** Width of the time bins of {@link MonitorSample.topLevelMedianPerS}, ms (Redis's own clock). */
const BIN_MS = 100;

/**
 * Splits MONITOR output between the clients on `ports` (their own commands, and their scripts'
 * `lua` lines, which follow the script's line) and everyone else.
 */
export function countMonitorLines(
  output: Buffer,
  ports: ReadonlySet<number>,
): Omit<MonitorSample, "startMs" | "endMs" | "wallMs" | "truncated"> {
  const byCommand: Record<string, number> = {};
  const bins: number[] = [];
  const callBins: number[] = [];
  let firstS: number | null = null;
  let topLevel = 0;
  let calls = 0;
  let lua = 0;
  let others = 0;
  let lastWasOurs = false;
  // Line: +<unix time> [<db> <ip:port>|[<ipv6>]:<port>|lua|unix:<path>] "<command>" "<arg>"...
  for (const m of output.toString("latin1").matchAll(/^\+([\d.]+) \[\d+ (\S+?)\] "([^"]*)"(.*)$/gm)) {
    const source = m[2] as string;
    if (source === "lua") {
      if (lastWasOurs) lua++;
      else others++;
      continue;
    }
    lastWasOurs = ports.has(Number(source.slice(source.lastIndexOf(":") + 1)));
    if (!lastWasOurs) {
      others++;
      continue;
    }
    topLevel++;
    const name = (m[3] as string).toLowerCase();
    byCommand[name] = (byCommand[name] ?? 0) + 1;
    const atS = Number(m[1]);
    firstS ??= atS;
    const bin = Math.floor(((atS - firstS) * 1000) / BIN_MS);
    bins[bin] = (bins[bin] ?? 0) + 1;
    const n = batchCalls(name, m[4] as string);
    calls += n;
    callBins[bin] = (callBins[bin] ?? 0) + n;
  }
  const median = medianPerS(bins);
  return {
    topLevel,
    calls,
    lua,
    topLevelByCommand: byCommand,
    others,
    topLevelMedianPerS: median,
    callsMedianPerS: medianPerS(callBins),
  };
}

/** Per second, the median of the inner bins (the first and last are partial; an empty bin, a stall, counts as 0). */
function medianPerS(bins: readonly (number | undefined)[]): number | null {
  const inner = Array.from(bins.slice(1, -1), (n) => n ?? 0).sort((a, b) => a - b);
  const median = inner.length === 0 ? null : (inner[Math.floor((inner.length - 1) / 2)] as number);
  return median === null ? null : (median * 1000) / BIN_MS;
}

const BATCH_SHA = sha1(BATCH_LUA);
/** How the batch script's text begins, as MONITOR quotes it. */
const BATCH_TEXT_START = JSON.stringify(BATCH_LUA.slice(0, 20)).slice(1, -1);

/**
 * How many script calls the command of a MONITOR line carries: the batch's `n`
 * (`"<sha, text or function>" "1" "<key>" "<P>" "<node>" "<n>"`), else 1.
 */
function batchCalls(name: string, rest: string): number {
  if (name !== "evalsha" && name !== "eval" && name !== "fcall") return 1;
  const args = [...rest.matchAll(/ "((?:[^"\\]|\\.)*)"/g)].map((a) => a[1] as string);
  const script = args[0] ?? "";
  const isBatch =
    name === "fcall"
      ? script === BATCH_FUNCTION
      : name === "evalsha"
        ? script === BATCH_SHA
        : script.startsWith(BATCH_TEXT_START);
  const n = Number(args[5]);
  return isBatch && Number.isInteger(n) && n > 0 ? n : 1;
}
