/**
 * Scenario "connections": one Usher process holding 10 000 idle waiting users over the queue
 * WebSocket and, in a second process, 10 000 over SSE. Measured inside the server (see
 * bench/servers/connectionsServer.ts): memory per user, as the growth of RSS and of heap plus
 * external after garbage collection from before the users came to when they all wait; and one
 * status round (an estimation to every waiting user), medians of 10: the longest stretch the event
 * loop was held (what the 50 ms target is about: how long anything else may wait, now that a round
 * is sent in time slices), next to the round's total event-loop busy time, its CPU time (user and
 * kernel) and the wall time until the last estimation was written.
 *
 * Usher only, read against a floor: a bare `node:net` server holding as many TCP connections and
 * writing one estimation-sized message to each (bench/servers/connectionsFloor.ts), i.e. the
 * memory of a socket and the cost of one write system call per user on this machine. The
 * protocol floor of the other scenarios has neither a queue (nobody waits) nor a WebSocket.
 *
 * Open files: the server and the load generator each hold 10 000 sockets. The server is started
 * through `sh -c 'ulimit -n <hard limit>'`; the generator (this process) needs `ulimit -n` of at
 * least users + 500 in the shell that runs the bench, and the scenario says so when it is lower.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { openRawUsers, openSseUsers, openWsUsers, type IdleUsers } from "../load/IdleUsers.ts";
import type { MemReading, ProbeRequest, RoundReading } from "../servers/serverReadings.ts";
import { listeningUrl } from "../servers/listeningUrl.ts";
import type { BenchContext, Scenario, TargetCheck } from "./Scenario.ts";

const NAME = "connections";
const TITLE = "10 000 idle waiting users: memory per connection and one status round";
/** Users held at once. */
const USERS = 10_000;
/** Users who come, wait and go before the baseline, so that code and pools are warm. */
const WARMUP_USERS = 500;
/** Status rounds measured; the median counts. */
const ROUNDS = 10;
/** Targets: bytes of RSS per user, and the longest stretch one round holds the event loop. */
const RSS_TARGET: Record<Transport, number> = { websocket: 10_000, sse: 16_000 };
const ROUND_TARGET_MS = 50;

type Transport = "websocket" | "sse";

const ENTRY = fileURLToPath(new URL("../servers/connectionsServer.ts", import.meta.url));
const FLOOR_ENTRY = fileURLToPath(new URL("../servers/connectionsFloor.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What one server measured. */
interface Measured {
  readonly rssPerUser: number;
  readonly heapExternalPerUser: number;
  /**
   * Per round: longest loop stretch, event-loop busy time in total, wall time until the last
   * estimation was written, and CPU time in user space and in the kernel, ms.
   */
  readonly roundsStretchMs: readonly number[];
  readonly roundsActiveMs: readonly number[];
  readonly roundsWallMs: readonly number[];
  readonly roundsCpuMs: readonly number[];
  readonly roundsUserMs: readonly number[];
  readonly roundsSystemMs: readonly number[];
  readonly estimationsPerRound: number;
}

/** The server child and its probe. */
class ProbedServer {
  readonly url: string;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.url = url;
  }

  static async start(entry: string): Promise<ProbedServer> {
    const child = spawn(
      "sh",
      [
        "-c",
        // As many open files as the hard limit allows: the server holds one socket per user.
        'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
        "sh",
        process.execPath,
        "--expose-gc",
        "--conditions=usher-source",
        "--import",
        "tsx",
        entry,
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe", "ipc"] },
    );
    const url = await listeningUrl(child, "connections server");
    return new ProbedServer(child, url);
  }

  probe<T>(cmd: ProbeRequest["cmd"]): Promise<T> {
    return new Promise((resolve) => {
      const onMessage = (msg: { cmd: string; value: T }): void => {
        if (msg.cmd !== cmd) return;
        this.#child.off("message", onMessage);
        resolve(msg.value);
      };
      this.#child.on("message", onMessage);
      this.#child.send({ cmd });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.#child.once("exit", r));
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The soft open-files limit of this process. */
function openFilesLimit(): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === "unlimited" ? Number.POSITIVE_INFINITY : Number(soft);
}

async function measure(ctx: BenchContext, transport: Transport | "floor"): Promise<Measured> {
  const server = await ProbedServer.start(transport === "floor" ? FLOOR_ENTRY : ENTRY);
  const open = (n: number, prefix: string): Promise<IdleUsers> =>
    transport === "websocket"
      ? openWsUsers(server.url, n, prefix)
      : transport === "sse"
        ? openSseUsers(server.url, n, prefix)
        : openRawUsers(server.url, n);
  try {
    const warm = await open(WARMUP_USERS, "warm");
    await warm.cancelAll();
    await sleep(1000);
    const before = await server.probe<MemReading>("mem");
    ctx.log(`  ${NAME} ${transport}: opening ${USERS} users...`);
    const users = await open(USERS, "u");
    await sleep(2000);
    const waiting = await server.probe<number>("size");
    if (waiting < USERS) throw new Error(`only ${waiting} of ${USERS} users are waiting`);
    const afterMem = await server.probe<MemReading>("mem");
    const roundsStretchMs: number[] = [];
    const roundsActiveMs: number[] = [];
    const roundsWallMs: number[] = [];
    const roundsCpuMs: number[] = [];
    const roundsUserMs: number[] = [];
    const roundsSystemMs: number[] = [];
    let estimations = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const r = await server.probe<RoundReading>("round");
      roundsStretchMs.push(r.longestStretchMs);
      roundsActiveMs.push(r.activeMs);
      roundsWallMs.push(r.wallMs);
      roundsCpuMs.push(r.userMs + r.systemMs);
      roundsUserMs.push(r.userMs);
      roundsSystemMs.push(r.systemMs);
      estimations = r.estimations;
      await sleep(300);
    }
    users.close();
    return {
      rssPerUser: (afterMem.rss - before.rss) / USERS,
      heapExternalPerUser: (afterMem.heapUsed + afterMem.external - (before.heapUsed + before.external)) / USERS,
      roundsStretchMs,
      roundsActiveMs,
      roundsWallMs,
      roundsCpuMs,
      roundsUserMs,
      roundsSystemMs,
      estimationsPerRound: estimations,
    };
  } finally {
    await server.stop();
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;

/**
 * "longest stretch L ms; busy B ms in total (CPU C ms = U user + S kernel), last written after W ms,
 * for N users" with medians of the rounds.
 */
function roundFigures(m: Measured): string {
  return (
    `longest stretch ${median(m.roundsStretchMs).toFixed(1)} ms; busy ${median(m.roundsActiveMs).toFixed(1)} ms in total ` +
    `(CPU ${median(m.roundsCpuMs).toFixed(1)} ms = ${median(m.roundsUserMs).toFixed(1)} user + ` +
    `${median(m.roundsSystemMs).toFixed(1)} kernel), last written after ${median(m.roundsWallMs).toFixed(1)} ms, ` +
    `for ${m.estimationsPerRound} users`
  );
}

/** Holds 10 000 users per transport and checks memory per user and the status round's cost. */
export const connections: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    `${USERS} idle waiting users over the queue WebSocket, then over SSE, one server process each; memory per ` +
    `user (RSS, heap + external, after GC) and one status round to all, medians of ${ROUNDS}: the longest stretch it ` +
    `holds the event loop, its total busy time, CPU (user/kernel) and wall time. Targets: RSS ≤ 10 kB per WebSocket ` +
    `user, ≤ 16 kB per SSE user; longest loop stretch of a round < ${ROUND_TARGET_MS} ms. Usher only.`,
  async run(ctx) {
    const checks: TargetCheck[] = [];
    if (!ctx.targets.includes("usher")) return { name: NAME, title: TITLE, points: [], checks };
    const limit = openFilesLimit();
    if (limit < USERS + 500) {
      const why = `open-files limit ${limit} < ${USERS + 500}: run \`ulimit -n ${USERS + 1000}\` first`;
      checks.push({ name: "usher: connections", goal: "", actual: why, pass: null });
      return { name: NAME, title: TITLE, points: [], checks };
    }
    let floor: Measured | null = null;
    try {
      floor = await measure(ctx, "floor");
    } catch (e) {
      ctx.log(`  ${NAME} floor failed: ${(e as Error).message}`);
    }
    const floorNote = (pick: (m: Measured) => string): string => (floor === null ? "" : `; floor ${pick(floor)}`);
    for (const transport of ["websocket", "sse"] as const) {
      try {
        const m = await measure(ctx, transport);
        const stretch = median(m.roundsStretchMs);
        checks.push({
          name: `usher ${transport}: RSS per user`,
          goal: `≤ ${kb(RSS_TARGET[transport])}`,
          actual: `${kb(m.rssPerUser)} (heap + external ${kb(m.heapExternalPerUser)})${floorNote((f) => `${kb(f.rssPerUser)} per bare TCP socket`)}`,
          pass: m.rssPerUser <= RSS_TARGET[transport],
        });
        checks.push({
          name: `usher ${transport}: status round: longest loop stretch`,
          goal: `< ${ROUND_TARGET_MS} ms (busy in total shown)`,
          actual: `${roundFigures(m)}${floorNote((f) => `(one write per socket, one synchronous loop) ${roundFigures(f)}`)}`,
          pass: stretch < ROUND_TARGET_MS,
        });
      } catch (e) {
        const message = ((e as Error).message ?? String(e)).split("\n")[0] ?? "";
        checks.push({ name: `usher ${transport}`, goal: "runs", actual: message.slice(0, 160), pass: false });
      }
    }
    return { name: NAME, title: TITLE, points: [], checks };
  },
};
