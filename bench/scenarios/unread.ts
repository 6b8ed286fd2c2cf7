/**
 * Scenario "unread": 100 clients each join a job whose result is 10 MB and open their stream
 * (`/queue/data`) but never read it. With the default caps (`maxConnectionBufferBytes` 4 MiB,
 * `maxServerBufferBytes` 256 MiB, `slowReaderMs` 10 s, `keptResultTtlMs` 60 s) the server cuts
 * them off, keeps what fits of their results, and its RSS stays under {@link PEAK_RSS_CAP_MB}.
 * Then every client comes back and reads: each gets exactly one final message (its result, or
 * the RESULT_DROPPED error).
 *
 * Usher only (the floor has no caps to compare), in a child process (bench/servers/unreadServer.ts)
 * whose RSS is sampled every 10 ms. Runs alone (about 15 s) with
 * `node --conditions=usher-source --import tsx bench/run.ts unread` or `npm run bench -- unread`;
 * `UNREAD_OPTIONS='{"maxServerBufferBytes":…}'` passes other launch options to the server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { listeningUrl } from "../servers/listeningUrl.ts";
import type { BenchContext, Scenario, TargetCheck } from "./Scenario.ts";

const NAME = "unread";
const TITLE = "100 clients that never read a 10 MB result: server RSS, and what each gets when it comes back";
const USERS = 100;
/** The server's RSS stays under this while 100 clients leave 10 MB each unread (1 GB of results). */
const PEAK_RSS_CAP_MB = 640;
/** Longest the cut-offs may take: slowReaderMs (10 s) and a quarter more, and the jobs themselves. */
const SETTLE_TIMEOUT_MS = 40_000;
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = fileURLToPath(new URL("../servers/unreadServer.ts", import.meta.url));
const MB = 1024 * 1024;

interface Mem {
  readonly rss: number;
  readonly peakRss: number;
}

const mb = (b: number): string => `${(b / MB).toFixed(0)} MB`;

export const unread: Scenario = {
  name: NAME,
  title: TITLE,
  description: `${USERS} clients never read a 10 MB result; server peak RSS < ${PEAK_RSS_CAP_MB} MB, one final each`,
  async run(ctx: BenchContext) {
    const checks: TargetCheck[] = [];
    if (!ctx.targets.includes("usher")) return { name: NAME, title: TITLE, points: [], checks };
    const server = await UnreadServer.start(process.env["UNREAD_OPTIONS"] ?? "{}");
    const t0 = performance.now();
    try {
      // One normal read first, so that the baseline includes warm code.
      await join(server.url, "warm");
      await readStream(server.url, "warm");
      const base = await server.mem();
      const lazy: NeverReads[] = [];
      for (let i = 0; i < USERS; i++) {
        await join(server.url, `u${i}`);
        lazy.push(new NeverReads(server.url, `/gradio_api/queue/data?session_hash=u${i}`));
      }
      let cut = 0;
      let dropped = 0;
      const settleBy = performance.now() + SETTLE_TIMEOUT_MS;
      while (performance.now() < settleBy) {
        const m = await metrics(server.url);
        cut = m.get('usher_refusals_total{code="SLOW_READER"}') ?? 0;
        dropped = m.get('usher_refusals_total{code="RESULT_DROPPED"}') ?? 0;
        if (cut + dropped >= USERS) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const settledS = (performance.now() - t0) / 1000;
      const held = await server.mem();
      ctx.log(
        `  ${NAME}: ${cut} cut off, ${dropped} results not kept after ${settledS.toFixed(1)} s; RSS ${mb(base.rss)} → peak ${mb(held.peakRss)}`,
      );
      // Everyone comes back: what reached them before, else a new stream.
      const first = await Promise.all(lazy.map((l) => l.drain()));
      let results = 0;
      let errors = 0;
      let other = 0;
      for (let i = 0; i < USERS; i++) {
        const text =
          first[i]?.includes("close_stream") === true ? (first[i] ?? "") : await readStream(server.url, `u${i}`);
        const finals = [...text.matchAll(/"msg":"process_completed".*?"success":(true|false)/g)];
        if (finals.length !== 1) other++;
        else if (finals[0]?.[1] === "true") results++;
        else if (text.includes("RESULT_DROPPED") || text.includes("not kept")) errors++;
        else other++;
      }
      const after = await server.mem();
      const seconds = (performance.now() - t0) / 1000;
      checks.push({
        name: "usher: server peak RSS while 100 clients leave 10 MB each unread",
        goal: `< ${PEAK_RSS_CAP_MB} MB`,
        actual: `${mb(held.peakRss)} (at rest ${mb(base.rss)}; ${cut} cut off, ${dropped} results not kept)`,
        pass: held.peakRss < PEAK_RSS_CAP_MB * MB,
      });
      checks.push({
        name: "usher: clients that come back",
        goal: `${USERS} with exactly one final (result or RESULT_DROPPED)`,
        actual: `${results} results, ${errors} RESULT_DROPPED, ${other} other; peak RSS while re-reading ${mb(after.peakRss)}`,
        pass: results + errors === USERS && other === 0,
      });
      checks.push({
        name: "usher: scenario time",
        goal: "< 60 s",
        actual: `${seconds.toFixed(1)} s`,
        pass: seconds < 60,
      });
    } finally {
      await server.stop();
    }
    return { name: NAME, title: TITLE, points: [], checks };
  },
};

async function join(url: string, session: string): Promise<void> {
  const r = await fetch(`${url}/gradio_api/queue/join`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: [session], fn_index: 0, session_hash: session }),
  });
  if (r.status !== 200) throw new Error(`join ${session}: HTTP ${r.status} ${await r.text()}`);
  await r.text();
}

async function readStream(url: string, session: string): Promise<string> {
  return (await fetch(`${url}/gradio_api/queue/data?session_hash=${session}`)).text();
}

async function metrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** A GET on a raw socket that reads nothing until {@link drain}. */
class NeverReads {
  readonly #socket: Socket;

  constructor(url: string, path: string) {
    const { hostname, port } = new URL(url);
    this.#socket = connect(Number(port), hostname);
    this.#socket.on("connect", () => this.#socket.pause());
    this.#socket.on("error", () => undefined);
    this.#socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
  }

  /** Reads what reached this side until the server's side is gone or the stream ended. */
  drain(): Promise<string> {
    const socket = this.#socket;
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      const done = (): void => {
        socket.destroy();
        resolve(Buffer.concat(parts).toString("latin1"));
      };
      socket.on("data", (b: Buffer) => {
        parts.push(b);
        if (b.includes("close_stream")) done();
      });
      socket.once("close", done);
      socket.resume();
    });
  }
}

/** The server child and its memory probe. */
class UnreadServer {
  readonly url: string;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.url = url;
  }

  static async start(options: string): Promise<UnreadServer> {
    const child = spawn(process.execPath, ["--conditions=usher-source", "--import", "tsx", ENTRY, options], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const url = await listeningUrl(child, "unread server");
    return new UnreadServer(child, url);
  }

  mem(): Promise<Mem> {
    return new Promise((resolve) => {
      const onMessage = (msg: { cmd: string; value: Mem }): void => {
        if (msg.cmd !== "mem") return;
        this.#child.off("message", onMessage);
        resolve(msg.value);
      };
      this.#child.on("message", onMessage);
      this.#child.send({ cmd: "mem" });
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
