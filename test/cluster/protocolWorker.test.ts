/**
 * A worker written from docs/redis-protocol.md alone ("A worker of your own"), as one in another
 * language would be: plain Redis commands and the batch function found with `FUNCTION LIST`, no
 * module of Usher's (the test only names the fronts' revision of that function, as an operator
 * knows which Usher they run). Against a real front (no local workers), it claims the users' jobs,
 * runs them and ends them: the users get their starts and results, its errors, and cancels reach
 * it; one that vanishes is reaped and another runs its job; and the same worker runs with the
 * scripts themselves (`usher redis-scripts`' texts) instead of the function, as on Redis 6.2 or a
 * Cluster. If the protocol changes what the page says a worker needs, this test fails.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Interface } from "../../src/index.ts";
import { REDIS_SCRIPTS, redisStore } from "../../src/redis.ts";
import { BATCH_FUNCTION } from "../../src/store/redisBatch.ts";
import { launch, post, readSse } from "../helpers/launch.ts";
import { REDIS_URL, testPrefix } from "../helpers/redis.ts";
import { waitFor } from "../helpers/waitFor.ts";

/** A job as the page describes the `json` of `job:<eventId>`. */
interface Job {
  eventId: string;
  sessionHash: string;
  fnId: number;
  poolId: string;
  data: unknown[];
}

/**
 * The worker of the page's steps: one node, one pool and one function given by the app it serves
 * (`pool`, `limit`, `fnId`), each claimed job run by `run` on the job's inputs (`data`), which
 * returns the output values.
 */
class DocWorker {
  readonly id = randomBytes(8).toString("hex");
  readonly ran: string[] = [];
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #p: string;
  readonly #leaseMs: number;
  /** Set: the worker dies (stops beating, never ends the job) right after its first claim. */
  readonly #vanish: boolean;
  /** The scripts' texts by name (`usher redis-scripts`): calls go as scripts, not the function. */
  readonly #scripts: Readonly<Record<string, string>> | undefined;
  #fn = "";
  #busy = false;
  #closed = false;
  #again = false;
  #beat: NodeJS.Timeout | undefined;
  /** Claims it runs: `<head>|<lease>` → its pool and its head's session (for the heartbeat). */
  readonly #held = new Map<string, { pool: string; sessionHash: string }>();
  /** Jobs it runs, by event id: a cancel aborts one. */
  readonly #running = new Map<string, AbortController>();

  constructor(
    keyPrefix: string,
    readonly pool: string,
    readonly limit: number,
    readonly fnId: number,
    readonly run: (data: unknown[], signal: AbortSignal) => Promise<unknown[]>,
    readonly batchFunction: string,
    {
      leaseMs = 10_000,
      vanish = false,
      scripts,
    }: { leaseMs?: number; vanish?: boolean; scripts?: Readonly<Record<string, string>> } = {},
  ) {
    this.#leaseMs = leaseMs;
    this.#vanish = vanish;
    this.#scripts = scripts;
    this.#cmd = new Redis(REDIS_URL);
    this.#sub = new Redis(REDIS_URL);
    this.#p = `{${keyPrefix}}`;
  }

  async start(): Promise<void> {
    const p = this.#p;
    assert.equal(await this.#cmd.get(`${p}proto`), "3", "protocol version");
    // The batch functions of the revisions that ran on this Redis: any reads and writes the same
    // data. This Redis may hold other revisions' (benches of other checkouts): take the fronts'.
    const libs = (await this.#cmd.call("FUNCTION", "LIST", "LIBRARYNAME", "usher_*")) as unknown[][];
    const names = libs.flatMap((lib) => {
      const functions = lib[lib.indexOf("functions") + 1] as unknown[][];
      return functions.map((f) => String(f[f.indexOf("name") + 1]));
    });
    assert.ok(names.includes(this.batchFunction), `${this.batchFunction} in ${names.join(", ")}`);
    this.#fn = this.batchFunction;
    await this.#heartbeat();
    this.#beat = setInterval(() => this.#background(this.#heartbeat()), this.#leaseMs / 3);
    await this.#sub.subscribe(`${p}wake`, `${p}to:${this.id}`);
    this.#sub.on("message", (channel: string, message: string) => {
      if (channel === `${p}to:${this.id}`) {
        // C[<eventId>,<reason>]: stop a job this node runs.
        if (message.startsWith("C")) {
          const [eventId, reason] = JSON.parse(message.slice(1)) as [string, string];
          this.#running.get(eventId)?.abort(reason);
        }
        return;
      }
      const [from, kind, pool] = message.split(" ");
      if (from !== this.id && (kind === "j" || kind === "r") && pool === this.pool) this.#background(this.#work());
    });
    await this.#cmd.publish(`${p}wake`, `${this.id} h`);
    await this.#work();
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#beat);
    await this.#cmd.zrem(`${this.#p}nodes`, this.id);
    this.#sub.disconnect();
    this.#cmd.disconnect();
  }

  /**
   * Work started by a timer or a message: a failure is the test's, unless the worker closed
   * meanwhile (its connections are gone; a wake-up or a beat may still have been on its way).
   */
  #background(work: Promise<void>): void {
    work.catch((err: unknown) => {
      if (!this.#closed) throw err;
    });
  }

  /** Redis' clock, ms. */
  async #now(): Promise<number> {
    const [s, us] = (await this.#cmd.time()) as [string | number, string | number];
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  async #heartbeat(): Promise<void> {
    const now = await this.#now();
    await this.#cmd.set(`${this.#p}node:${this.id}`, String(now), "PX", this.#leaseMs);
    await this.#cmd.zadd(`${this.#p}nodes`, now, this.id);
    for (const [member, { pool, sessionHash }] of this.#held) {
      await this.#cmd.zadd(`${this.#p}run:${pool}`, "XX", now + this.#leaseMs, member);
      await this.#cmd.pexpire(`${this.#p}ses:${sessionHash}:pending`, 600_000);
    }
  }

  /**
   * One call of a hot-path script through the batch function, or (given {@link #scripts}) as that
   * script itself, as on Redis 6.2 or a Cluster: its result, or its error thrown.
   */
  async #call(script: string, args: (string | number)[]): Promise<unknown> {
    const p = this.#p;
    const text = this.#scripts?.[script];
    if (text !== undefined) return this.#cmd.eval(text, 1, `${p}seq`, p, this.id, ...args);
    const reply = (await this.#cmd.call(
      "FCALL",
      this.#fn,
      1,
      `${p}seq`,
      p,
      this.id,
      1,
      script,
      args.length,
      ...args,
    )) as [number, unknown][];
    const [ok, result] = reply[0] as [number, unknown];
    if (ok !== 1) throw new Error(String(result));
    return result;
  }

  /** Claims and runs jobs until none is left; a wake-up meanwhile makes it look once more. */
  async #work(): Promise<void> {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    try {
      do {
        this.#again = false;
        while (await this.#claimAndRun());
      } while (this.#again);
    } finally {
      this.#busy = false;
    }
  }

  /** The claim request: lease, leaseMs, now, expiry, aging, fair, quiet, pools, functions. */
  async #request(lease: string): Promise<(string | number)[]> {
    const now = await this.#now();
    return [lease, this.#leaseMs, now, now + this.#leaseMs, 30_000, "1", "", 1, this.pool, this.limit, 1, this.fnId, 1];
  }

  async #claimAndRun(): Promise<boolean> {
    const lease = randomBytes(9).toString("base64url");
    // `alone` "0": other nodes hear the claim (`c`).
    const [claim] = (await this.#call("usherClaim", ["0", ...(await this.#request(lease))])) as [unknown[] | null];
    if (!Array.isArray(claim)) return false;
    const [pool, , json, origin] = claim as string[];
    const job = JSON.parse(json as string) as Job;
    if (this.#vanish) {
      this.ran.push(job.eventId);
      await this.close();
      return false;
    }
    const member = `${job.eventId}|${lease}`;
    this.#held.set(member, { pool: pool as string, sessionHash: job.sessionHash });
    const stop = new AbortController();
    this.#running.set(job.eventId, stop);
    const startMs = Date.now();
    const base = { eventId: job.eventId, sessionHash: job.sessionHash };
    let final: Record<string, unknown>;
    try {
      const output = await this.run(job.data, stop.signal);
      final = { type: "completed", ...base, output, durationMs: Date.now() - startMs, averageDurationMs: null };
    } catch (err) {
      final = stop.signal.aborted
        ? { type: "cancelled", ...base, reason: String(stop.signal.reason) }
        : {
            type: "failed",
            ...base,
            error: {
              message: String((err as Error).message),
              title: "Error",
              durationMs: null,
              visible: true,
              code: "FUNCTION_ERROR",
            },
          };
    }
    this.#running.delete(job.eventId);
    this.ran.push(job.eventId);
    // head, lease, pool, sessionTtlMs, sessionMaxLen, alone, the claim's events, no client keys,
    // one final (for its origin: mode ">origin"), nothing read to forget, no next claim.
    const [held] = (await this.#call("usherRelease", [
      job.eventId,
      lease,
      pool as string,
      600_000,
      1000,
      "0",
      1,
      job.eventId,
      0,
      1,
      job.eventId,
      job.sessionHash,
      `>${origin}`,
      JSON.stringify(final),
      0,
      "",
    ])) as [number];
    this.#held.delete(member);
    assert.equal(held, 1, "the lease was still held");
    return true;
  }
}

/** What the workers of these tests do with a job's input word. */
async function runWord(data: unknown[], signal: AbortSignal): Promise<unknown[]> {
  const word = String(data[0]);
  if (word === "boom") throw new Error("the worker's function failed");
  if (word === "hold") await new Promise((_, reject) => signal.addEventListener("abort", reject));
  return [`worker:${word}`];
}

/**
 * A front with no local workers (its store's `leaseMs`: `frontLeaseMs`) on a fresh prefix, and
 * {@link DocWorker}s for it: `worker()` starts one.
 */
async function deployment(frontLeaseMs?: number) {
  const keyPrefix = testPrefix("docworker");
  const app = new Interface({ fn: (x: string) => `front:${x}`, inputs: "text", outputs: "text" });
  const store = redisStore({
    url: REDIS_URL,
    keyPrefix,
    ...(frontLeaseMs === undefined ? {} : { leaseMs: frontLeaseMs }),
  });
  const front = await launch(app, { store, localWorkers: false });
  after(() => front.close());
  const worker = async (
    options: { leaseMs?: number; vanish?: boolean; scripts?: Readonly<Record<string, string>> } = {},
  ) => {
    const w = new DocWorker(keyPrefix, "default", 1, 0, runWord, BATCH_FUNCTION, options);
    after(() => w.close());
    await w.start();
    return w;
  };
  let n = 0;
  /** Joins `word` through the front in a session of its own; `stream()` reads the session's messages. */
  const join = async (word: string) => {
    const session = `dw${++n}${word}`;
    const joined = await post(`${front.url}/gradio_api/queue/join`, {
      data: [word],
      fn_index: 0,
      session_hash: session,
    });
    assert.equal(joined.status, 200, joined.text);
    const eventId = String(joined.json.event_id);
    const stream = async () =>
      (await readSse(`${front.url}/gradio_api/queue/data?session_hash=${session}`)).map((m) => m.data);
    return { session, eventId, stream };
  };
  return { front, worker, join };
}

describe("a worker written from the protocol page", { timeout: 20_000 }, () => {
  it("runs a front's jobs: its users get the start and the result", async () => {
    const { worker: start, join } = await deployment();
    const worker = await start();
    const joins = await Promise.all(["u1", "u2", "u3"].map(join));
    for (const [i, j] of joins.entries()) {
      const messages = await j.stream();
      const kinds = messages.map((m) => m.msg);
      assert.ok(
        kinds.indexOf("process_starts") >= 0 && kinds.indexOf("process_starts") < kinds.length - 1,
        kinds.join(),
      );
      const done = messages.find((m) => m.msg === "process_completed");
      assert.equal(done?.success, true, JSON.stringify(done));
      assert.equal(done?.event_id, j.eventId);
      assert.deepEqual(done?.output.data, [`worker:u${i + 1}`]);
    }
    await waitFor(() => worker.ran.length === 3);
    assert.deepEqual(new Set(worker.ran), new Set(joins.map((j) => j.eventId)));
  });

  it("ends a job that failed, and stops a job its user cancelled", async () => {
    const { front, worker: start, join } = await deployment();
    const worker = await start();
    const failed = await join("boom");
    const end = (await failed.stream()).find((m) => m.msg === "process_completed");
    assert.equal(end?.success, false);
    assert.equal(end?.output.error, "the worker's function failed");

    const held = await join("hold");
    await waitFor(() => worker.ran.length === 1 && worker.running === 1);
    const reading = held.stream();
    const cancel = await post(`${front.url}/gradio_api/cancel`, { event_id: held.eventId, session_hash: held.session });
    assert.equal(cancel.status, 200, cancel.text);
    const last = (await reading).find((m) => m.msg === "process_completed");
    assert.equal(last?.title, "Cancelled", JSON.stringify(last));
    await waitFor(() => worker.ran.length === 2 && worker.running === 0);
  });

  it("a job whose worker vanished is reaped and runs on another worker", async () => {
    const { worker, join } = await deployment(600);
    const doomed = await worker({ leaseMs: 600, vanish: true });
    const lost = await join("again");
    await waitFor(() => doomed.ran.length === 1);
    const heir = await worker();
    const messages = await lost.stream();
    const done = messages.find((m) => m.msg === "process_completed");
    assert.equal(done?.success, true, JSON.stringify(messages));
    assert.deepEqual(done?.output.data, ["worker:again"]);
    assert.deepEqual(heir.ran, [lost.eventId]);
  });

  it("runs them with the scripts themselves, as on Redis 6.2 or a Cluster (usher redis-scripts' texts)", async () => {
    const { worker: start, join } = await deployment();
    const worker = await start({ scripts: REDIS_SCRIPTS });
    const joins = await Promise.all(["s1", "s2"].map(join));
    for (const [i, j] of joins.entries()) {
      const done = (await j.stream()).find((m) => m.msg === "process_completed");
      assert.equal(done?.success, true, JSON.stringify(done));
      assert.deepEqual(done?.output.data, [`worker:s${i + 1}`]);
    }
    assert.deepEqual(new Set(worker.ran), new Set(joins.map((j) => j.eventId)));
  });
});
