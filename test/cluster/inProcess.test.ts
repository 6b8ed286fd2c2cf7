/**
 * A shared queue on Redis with two fronts and a worker in this one process (each with its own
 * store, so its own node): quick checks of the paths that cross processes. The multi-process
 * tests (multiProcess.test.ts) prove the same with real OS processes.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { Client } from "@gradio/client";
import { Redis } from "ioredis";
import { Interface, State, type UploadedFile } from "../../src/index.ts";
import { redisStore } from "../../src/redis.ts";
import type { RedisSessionBus } from "../../src/store/RedisSessionBus.ts";
import { runWorker } from "../../src/compose/runWorker.ts";
import { launch, metric, post, readSse } from "../helpers/launch.ts";
import { REDIS_URL, testPrefix } from "../helpers/redis.ts";
import { waitFor } from "../helpers/waitFor.ts";

/** `delayMs` < 0: the result comes without a wait, in the turn the job starts. */
function upper(delayMs: number) {
  return new Interface({
    fn: async (x: string) => {
      if (delayMs >= 0) await sleep(delayMs);
      return x.toUpperCase();
    },
    inputs: "text",
    outputs: "text",
    apiName: "up",
  });
}

/** Each final on a stream, as [event id, success]. */
function endsOf(messages: Awaited<ReturnType<typeof readSse>>): unknown[][] {
  return messages.filter((m) => m.data.msg === "process_completed").map((m) => [m.data.event_id, m.data.success]);
}

async function cluster(delayMs = 20) {
  const keyPrefix = testPrefix("inproc");
  const store = () => redisStore({ url: REDIS_URL, keyPrefix, leaseMs: 1000 });
  const storeA = store();
  const a = await launch(upper(delayMs), { store: storeA, localWorkers: false });
  const b = await launch(upper(delayMs), { store: store(), localWorkers: false });
  const storeW = store();
  const worker = await runWorker(upper(delayMs).queue({ store: storeW }), { quiet: true, handleSignals: false });
  after(() => worker.close({ graceMs: 0 }));
  return { a, b, worker, keyPrefix, storeA, storeW };
}

/**
 * Joins one event of `session` through `frontUrl` with no stream open anywhere, and checks, sampling
 * Redis atomically until the result is logged, that the event never left the session's pending set
 * before its result was in the log: a stream opening on another front at any instant finds the one
 * or the other (else it is told that the session does not exist).
 */
async function resultStaysVisible(frontUrl: string, keyPrefix: string, session: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const pending = `{${keyPrefix}}ses:${session}:pending`;
    const log = `{${keyPrefix}}ses:${session}:log`;
    const join = await post(`${frontUrl}/gradio_api/queue/join`, {
      data: ["seen"],
      fn_index: 0,
      session_hash: session,
    });
    assert.equal(join.status, 200, join.text);
    const eventId = String(join.json.event_id);
    for (let i = 0; ; i++) {
      const [[, isPending], [, logged]] = (await redis.multi().sismember(pending, eventId).xlen(log).exec()) as [
        [unknown, number],
        [unknown, number],
      ];
      if (logged > 0) return;
      assert.equal(isPending, 1, `sample ${i}: the event left the pending set with nothing in the log`);
      assert.ok(i < 20_000, "the result was never logged");
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * Three predictions of one kept session joined and streamed on front A, each run by the worker
 * (jobs of `delayMs`, see {@link upper}), after `before`: A's user sees the start and the result of
 * each, nothing stays pending or logged, and A forgets each event. Returns what reached A's channel.
 */
async function keptSessionElsewhere(
  delayMs: number,
  before?: (redis: Redis, keyPrefix: string) => Promise<void>,
): Promise<string[]> {
  const { a, keyPrefix, storeA, storeW } = await cluster(delayMs);
  const redis = new Redis(REDIS_URL);
  after(() => redis.disconnect());
  // The worker's first heartbeat counted every node quiet (its claims before that send every S).
  const worker = storeW.bus as RedisSessionBus;
  await waitFor(async () => worker.quietClaims, 5000, "the worker's claims are quiet");
  // What reaches front A from the other processes.
  const listener = new Redis(REDIS_URL);
  after(() => listener.disconnect());
  const toA: string[] = [];
  listener.on("message", (_channel: string, message: string) => toA.push(message));
  await listener.subscribe(`{${keyPrefix}}to:${storeA.nodeId}`);
  await before?.(redis, keyPrefix);
  const session = "s-kept";
  const events: string[] = [];
  for (const word of ["one", "two", "three"]) {
    const join = await post(`${a.url}/gradio_api/queue/join`, { data: [word], fn_index: 0, session_hash: session });
    assert.equal(join.status, 200, join.text);
    events.push(String(join.json.event_id));
    const msgs = (await readSse(`${a.url}/gradio_api/queue/data?session_hash=${session}`)).map((m) => m.data);
    assert.deepEqual(
      msgs.map((m) => m.msg).filter((m) => m !== "estimation"),
      ["process_starts", "process_completed", "close_stream"],
    );
    assert.deepEqual(msgs.find((m) => m.msg === "process_completed")?.output.data, [word.toUpperCase()]);
    // Its result was logged and leaves the log once read, so the session's next join does not look
    // known to another front (no catch-up).
    await waitFor(async () => (await redis.xlen(`{${keyPrefix}}ses:${session}:log`)) === 0, 5000, "the log emptied");
    const members = await redis.smembers(`{${keyPrefix}}ses:${session}:pending`);
    assert.deepEqual(members, [], "nothing pending and no node adopted the session");
  }
  // Front A admitted the three and forgot each once its final came from the worker: no waiting
  // record of them is left in its queue either.
  assert.equal((storeA.bus as RedisSessionBus).admittedOpen, 0);
  for (const id of events) assert.equal(a.engine.isActive(id), false, `front A still holds ${id}`);
  // A told its user each start itself: the worker sent none through Redis.
  assert.deepEqual(
    toA.filter((m) => m.startsWith("M") && m.includes('"type":"started"')),
    [],
  );
  assert.equal(toA.filter((m) => m.startsWith("M")).length, 3, toA.join("\n"));
  return toA;
}

describe("shared queue in one process", () => {
  it("joins on front A and streams the result from front B", async () => {
    const { a, b } = await cluster();
    const session = "s-cross";
    const join = await post(`${a.url}/gradio_api/queue/join`, { data: ["hi"], fn_index: 0, session_hash: session });
    assert.equal(join.status, 200, join.text);
    const messages = await readSse(`${b.url}/gradio_api/queue/data?session_hash=${session}`);
    const msgs = messages.map((m) => m.data.msg);
    assert.deepEqual(msgs.slice(-2), ["process_completed", "close_stream"], JSON.stringify(msgs));
    const done = messages.find((m) => m.data.msg === "process_completed")?.data;
    assert.equal(done.event_id, join.json.event_id);
    assert.deepEqual(done.output.data, ["HI"]);
    assert.ok(msgs.includes("process_starts"), JSON.stringify(msgs));
  });

  it("gives a stream on front B the results of jobs B ran for front A (B holds the session and runs them: it is owed them too)", async () => {
    const keyPrefix = testPrefix("inproc-runner-reads");
    const store = () => redisStore({ url: REDIS_URL, keyPrefix, leaseMs: 1000 });
    // A runs nothing: every job it admits runs on B, where the session's stream is.
    const a = await launch(upper(200), { store: store(), localWorkers: false });
    const b = await launch(upper(200), { store: store(), localWorkers: true });
    const session = "s-runner-reads";
    const first = await post(`${a.url}/gradio_api/queue/join`, { data: ["one"], fn_index: 0, session_hash: session });
    assert.equal(first.status, 200, first.text);
    const stream = readSse(`${b.url}/gradio_api/queue/data?session_hash=${session}`, AbortSignal.timeout(5000));
    await waitFor(async () => (await metric(b.url, "usher_open_streams")) === 1, 5000, "the stream open on B");
    const second = await post(`${a.url}/gradio_api/queue/join`, { data: ["two"], fn_index: 0, session_hash: session });
    assert.equal(second.status, 200, second.text);
    const messages = await stream;
    assert.deepEqual(endsOf(messages), [
      [first.json.event_id, true],
      [second.json.event_id, true],
    ]);
    assert.deepEqual(
      messages.filter((m) => m.data.msg === "process_completed").map((m) => m.data.output.data),
      [["ONE"], ["TWO"]],
    );
    assert.equal(messages.at(-1)?.data.msg, "close_stream");
  });

  it("keeps a session whose jobs run elsewhere its front's alone: its front tells the starts, the log empty once read", async () => {
    // 20 ms jobs outlive their claim's turn: the worker tells A each start (S) as it starts.
    const toA = await keptSessionElsewhere(20);
    assert.equal(toA.filter((m) => m.startsWith("S")).length, 3, toA.join("\n"));
  });

  it("tells a front no start of a job run elsewhere that ended in its claim's turn: the result says it (quiet starts)", async () => {
    const toA = await keptSessionElsewhere(-1);
    assert.deepEqual(
      toA.filter((m) => m.startsWith("S")),
      [],
    );
  });

  it("tells every start again while a live node does not take a result as its start (an earlier revision)", async () => {
    // A node that beats (every 200 ms, within the 1 s lease however slow the machine) but is not
    // counted quiet, as one of an earlier revision: S for every job.
    const toA = await keptSessionElsewhere(-1, async (redis, keyPrefix) => {
      const beat = async (): Promise<void> => {
        const [seconds, micros] = await redis.time();
        await redis.zadd(`{${keyPrefix}}nodes`, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000), "old-node");
      };
      await beat();
      const beating = setInterval(() => void beat().catch(() => undefined), 200);
      after(() => clearInterval(beating));
      await redis.publish(`{${keyPrefix}}wake`, "old-node h s");
    });
    assert.equal(toA.filter((m) => m.startsWith("S")).length, 3, toA.join("\n"));
  });

  it("never lets a result leave the pending set before it is in the log, run elsewhere or at its front (a stream on another front finds one or the other)", async () => {
    const { a, keyPrefix } = await cluster(5);
    await resultStaysVisible(a.url, keyPrefix, "s-visible");
    // A front that runs its own jobs: the job ends at once, before any stream of it opens.
    const ownPrefix = testPrefix("inproc-own");
    const own = await launch(upper(0), {
      store: redisStore({ url: REDIS_URL, keyPrefix: ownPrefix }),
      localWorkers: true,
    });
    await resultStaysVisible(own.url, ownPrefix, "s-visible-own");
  });

  // A session hash is any string the client picks: one with spaces must reach front A whole in the word B sends.
  for (const session of ["s-solo", "s solo, spaced", 's ☕ "ünï" %20']) {
    it(`streams on front A a join made through front B into a session A held alone (A hears of it and catches up): "${session}"`, async () => {
      const { a, b } = await cluster(300);
      const q = encodeURIComponent(session);
      const first = await post(`${a.url}/gradio_api/queue/join`, { data: ["one"], fn_index: 0, session_hash: session });
      assert.equal(first.status, 200, first.text);
      assert.equal(endsOf(await readSse(`${a.url}/gradio_api/queue/data?session_hash=${q}`)).length, 1);
      // Front A recorded the session's owner: it holds it alone, and its next join asks nothing.
      const second = await post(`${a.url}/gradio_api/queue/join`, {
        data: ["two"],
        fn_index: 0,
        session_hash: session,
      });
      assert.equal(second.status, 200, second.text);
      const stream = readSse(`${a.url}/gradio_api/queue/data?session_hash=${q}`);
      await sleep(50);
      const third = await post(`${b.url}/gradio_api/queue/join`, {
        data: ["three"],
        fn_index: 0,
        session_hash: session,
      });
      assert.equal(third.status, 200, third.text);
      assert.deepEqual(endsOf(await stream), [
        [second.json.event_id, true],
        [third.json.event_id, true],
      ]);
    });
  }

  it("serves the real @gradio/client through a front with no local workers", async () => {
    const { a } = await cluster();
    const client = await Client.connect(a.url);
    assert.deepEqual((await client.predict("/up", ["abc"])).data, ["ABC"]);
  });

  it("cancels through front B an event joined on front A", async () => {
    const { a, b } = await cluster(400);
    const session = "s-cancel";
    const first = await post(`${a.url}/gradio_api/queue/join`, { data: ["one"], fn_index: 0, session_hash: session });
    const second = await post(`${a.url}/gradio_api/queue/join`, { data: ["two"], fn_index: 0, session_hash: session });
    const stream = readSse(`${a.url}/gradio_api/queue/data?session_hash=${session}`);
    await waitFor(async () => (await metric(a.url, "usher_open_streams")) === 1, 5000, "the stream open on A");
    const cancel = await post(`${b.url}/gradio_api/cancel`, { event_id: second.json.event_id, session_hash: session });
    assert.equal(cancel.status, 200, cancel.text);
    const messages = await stream;
    const ends = endsOf(messages);
    assert.deepEqual(ends, [
      [second.json.event_id, false],
      [first.json.event_id, true],
    ]);
  });

  it("cancels a waiting event of a session held by one front alone; its stream still ends", async () => {
    const keyPrefix = testPrefix("cancel-local");
    const a = await launch(upper(400), { store: redisStore({ url: REDIS_URL, keyPrefix, leaseMs: 1000 }) });
    // Another session's job holds the only slot, so that this session's one event waits.
    const blocker = await post(`${a.url}/gradio_api/queue/join`, { data: ["b"], fn_index: 0, session_hash: "s-block" });
    assert.equal(blocker.status, 200, blocker.text);
    const session = "s-cancel-local";
    const waiting = await post(`${a.url}/gradio_api/queue/join`, { data: ["w"], fn_index: 0, session_hash: session });
    const stream = readSse(`${a.url}/gradio_api/queue/data?session_hash=${session}`, AbortSignal.timeout(5000));
    await waitFor(async () => (await metric(a.url, "usher_open_streams")) === 1, 5000, "the stream open");
    const cancel = await post(`${a.url}/gradio_api/cancel`, { event_id: waiting.json.event_id, session_hash: session });
    assert.equal(cancel.status, 200, cancel.text);
    const messages = await stream;
    const ends = endsOf(messages);
    assert.deepEqual(ends, [[waiting.json.event_id, false]]);
    assert.equal(messages.at(-1)?.data.msg, "close_stream");
    // Its event left the store too: a later join of the session is not taken for another front's.
    const redis = new Redis(REDIS_URL);
    after(() => redis.disconnect());
    assert.equal(await redis.scard(`{${keyPrefix}}ses:${session}:pending`), 0);
  });

  it("shares uploads, output files and State between processes that have different disks", async () => {
    const keyPrefix = testPrefix("files");
    const store = () => redisStore({ url: REDIS_URL, keyPrefix });
    // Each process gets its own cache folder, as if on its own machine.
    const dirs = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), "usher-node-"))));
    after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
    const app = () => {
      const count = new State(0);
      return new Interface({
        fn: async (file: UploadedFile | null, n: number) => {
          const text = (await file!.read()).toString("utf8");
          return [{ data: Buffer.from(`${text.toUpperCase()} #${n + 1}`), name: "out.txt" }, n + 1];
        },
        inputs: ["file", count],
        outputs: ["file", count],
        apiName: "shout",
      });
    };
    const a = await launch(app(), { store: store(), localWorkers: false }, { cacheDir: dirs[0]! });
    const b = await launch(app(), { store: store(), localWorkers: false }, { cacheDir: dirs[1]! });
    const worker = await runWorker(app().queue({ store: store() }), {
      quiet: true,
      handleSignals: false,
      cacheDir: dirs[2]!,
    });
    after(() => worker.close({ graceMs: 0 }));

    const run = async (text: string): Promise<{ url: string; path: string }> => {
      // Upload through A, join through B, read the result through B.
      const form = new FormData();
      form.append("files", new Blob([Buffer.from(text)]), "in.txt");
      const up = await fetch(`${a.url}/gradio_api/upload`, { method: "POST", body: form });
      assert.equal(up.status, 200);
      const [path] = (await up.json()) as string[];
      const joined = await post(`${b.url}/gradio_api/queue/join`, {
        data: [{ path, meta: { _type: "gradio.FileData" } }, null],
        fn_index: 0,
        session_hash: "files-s",
      });
      assert.equal(joined.status, 200, joined.text);
      const messages = await readSse(`${b.url}/gradio_api/queue/data?session_hash=files-s`);
      const done = messages.find((m) => m.data.msg === "process_completed")?.data;
      assert.equal(done?.success, true, JSON.stringify(messages.map((m) => m.data)));
      return done.output.data[0];
    };
    const first = await run("hello");
    // The app writes State: the session's owner record lasts as long as the State (6 h), not 4/3 of the messages' 10 min.
    const redis = new Redis(REDIS_URL);
    after(() => redis.disconnect());
    assert.ok((await redis.pttl(`{${keyPrefix}}owner:files-s`)) > 800_000);
    // The output was made on the worker's disk; both fronts serve it.
    for (const front of [a, b]) {
      const res = await fetch(`${front.url}/gradio_api/file=${first.path}`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "HELLO #1");
    }
    // The session's State (kept by the worker) is there for the next call.
    const second = await run("again");
    assert.equal(await (await fetch(`${a.url}/gradio_api/file=${second.path}`)).text(), "AGAIN #2");
    // Paths outside the store stay refused, shared or not.
    assert.equal((await fetch(`${a.url}/gradio_api/file=/etc/passwd`)).status, 404);
  });

  it("gives positions and ETAs across fronts, and forms batches from joins of both", async () => {
    const keyPrefix = testPrefix("batch");
    const store = () => redisStore({ url: REDIS_URL, keyPrefix });
    let blocking = false;
    const app = () =>
      new Interface({
        // Each output says how big its batch was; "block" holds the only slot for a while.
        fn: async (xs: string[]) => {
          if (xs.includes("block")) {
            blocking = true;
            await sleep(500);
          }
          return [xs.map((x) => `${x}/${xs.length}`)];
        },
        inputs: "text",
        outputs: "text",
        batch: true,
        maxBatchSize: 4,
        expectedDurationMs: 500,
        apiName: "b",
      });
    const a = await launch(app(), { store: store(), localWorkers: false });
    const b = await launch(app(), { store: store(), localWorkers: false });
    const worker = await runWorker(app().queue({ store: store() }), { quiet: true, handleSignals: false });
    after(() => worker.close({ graceMs: 0 }));

    const first = await post(`${a.url}/gradio_api/queue/join`, { data: ["block"], fn_index: 0, session_hash: "b0" });
    await waitFor(() => blocking, 5000, '"block" running');
    const joins = [];
    for (const [i, front] of [a, b, a].entries()) {
      joins.push(
        await post(`${front.url}/gradio_api/queue/join`, { data: [`x${i}`], fn_index: 0, session_hash: `b${i + 1}` }),
      );
    }
    const streams = [first, ...joins].map((_j, i) =>
      readSse(`${(i % 2 === 0 ? b : a).url}/gradio_api/queue/data?session_hash=b${i}`),
    );
    const all = await Promise.all(streams);
    const outputs = all.map(
      (messages) => messages.find((m) => m.data.msg === "process_completed")?.data.output.data[0],
    );
    // The three joins of both fronts waited together and ran as one batch.
    assert.deepEqual(outputs, ["block/1", "x0/3", "x1/3", "x2/3"]);
    // The last one (joined through A, third in line) was told its global position and an ETA.
    const est = all[3]!.find((m) => m.data.msg === "estimation")?.data;
    assert.equal(est?.queue_size, 3, JSON.stringify(all[3]!.map((m) => m.data)));
    assert.equal(est?.rank, 2);
    assert.ok(typeof est?.rank_eta === "number" && est.rank_eta > 0.5, `rank_eta ${est?.rank_eta}`);
  });

  it("cancels through front B a job running on the worker (its signal aborts)", async () => {
    const keyPrefix = testPrefix("cancelrun");
    const store = () => redisStore({ url: REDIS_URL, keyPrefix });
    let aborted = 0;
    let running = false;
    const app = () =>
      new Interface({
        fn: async (x: string, ctx: { signal: AbortSignal }) => {
          running = true;
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
          aborted++;
          return x;
        },
        inputs: "text",
        outputs: "text",
        apiName: "wait",
      });
    const a = await launch(app(), { store: store(), localWorkers: false });
    const b = await launch(app(), { store: store(), localWorkers: false });
    const worker = await runWorker(app().queue({ store: store() }), { quiet: true, handleSignals: false });
    after(() => worker.close({ graceMs: 0 }));
    const joined = await post(`${a.url}/gradio_api/queue/join`, { data: ["w"], fn_index: 0, session_hash: "cr" });
    const stream = readSse(`${a.url}/gradio_api/queue/data?session_hash=cr`);
    await waitFor(() => running, 5000, "running on the worker");
    const cancel = await post(`${b.url}/gradio_api/cancel`, { event_id: joined.json.event_id, session_hash: "cr" });
    assert.equal(cancel.status, 200, cancel.text);
    const done = (await stream).find((m) => m.data.msg === "process_completed")?.data;
    assert.equal(done?.success, false);
    assert.equal(done?.title, "Cancelled");
    assert.equal(aborted, 1, "the worker's function saw its abort signal");
    // Someone else's session cannot cancel it.
    const other = await post(`${b.url}/gradio_api/cancel`, {
      event_id: joined.json.event_id,
      session_hash: "intruder",
    });
    assert.equal(other.status, 404);
  });

  it("cancels a session only when no front has a stream of it once the grace period ends", async () => {
    const keyPrefix = testPrefix("grace");
    const store = () => redisStore({ url: REDIS_URL, keyPrefix });
    let aborted = 0;
    const app = () =>
      new Interface({
        fn: async (x: string, ctx: { signal: AbortSignal }) => {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 700);
            ctx.signal.addEventListener(
              "abort",
              () => {
                aborted++;
                clearTimeout(t);
                resolve();
              },
              { once: true },
            );
          });
          return x;
        },
        inputs: "text",
        outputs: "text",
        apiName: "slow",
      });
    const graceMs = 200;
    const a = await launch(app(), { store: store(), localWorkers: false }, { sessionGraceMs: graceMs });
    const b = await launch(app(), { store: store(), localWorkers: false }, { sessionGraceMs: graceMs });
    const worker = await runWorker(app().queue({ store: store() }), { quiet: true, handleSignals: false });
    after(() => worker.close({ graceMs: 0 }));
    // Joined on A, read on B: A's grace passes, but B has a reader, so nothing is cancelled.
    const kept = await post(`${a.url}/gradio_api/queue/join`, { data: ["kept"], fn_index: 0, session_hash: "g1" });
    const messages = await readSse(`${b.url}/gradio_api/queue/data?session_hash=g1`);
    const done = messages.find((m) => m.data.msg === "process_completed")?.data;
    assert.equal(done?.event_id, kept.json.event_id);
    assert.equal(done?.success, true, JSON.stringify(done));
    assert.equal(aborted, 0);
    // Joined on A and never read anywhere: cancelled after the grace period, its job aborted.
    // (Its function would end by itself after 700 ms, unaborted.)
    const joinedAt = performance.now();
    await post(`${a.url}/gradio_api/queue/join`, { data: ["dropped"], fn_index: 0, session_hash: "g2" });
    await waitFor(() => aborted > 0, 5000, "the dropped session's job aborted");
    const abortedAfterMs = performance.now() - joinedAt;
    assert.ok(abortedAfterMs >= graceMs - 1, `aborted ${abortedAfterMs} ms after its join, within the grace period`);
    assert.equal(aborted, 1);
  });
});
