/**
 * Chaos: one queue on a private redis-server, two fronts with no local workers and two workers as
 * OS processes, a few hundred jobs through the real `@gradio/client`, while a script kills and
 * restarts Redis (empty: no persistence), pauses it, and kills (`-9`) and restarts a front or a
 * worker, at random. The seed is printed; `CHAOS_SEED=<n>` replays a run's schedule (the timing of
 * the processes still varies).
 *
 * What it asserts, per job (`<token>:<ms>`, the app echoes the token):
 * - its client got exactly one final message within BOUND_MS of submitting: the token back, or an
 *   error with a message. Refusals (the join answered 503 while Redis was away, or the chosen
 *   front was dead) are errors too, only never accepted. A client whose front is killed under it
 *   gets the client's own "connection lost" error: `@gradio/client` does not reconnect through
 *   another front (a raw-protocol client can; multiProcess.test.ts covers that);
 * - no job ran twice except the documented lease retry: a second run only when the process of the
 *   first run was killed, and never more than maxAttempts (2) runs;
 * - and the chaos did something: most jobs succeeded, and each kind of fault happened.
 */
import assert from "node:assert/strict";
import { prng } from "../helpers/prng.ts";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, it } from "node:test";
import { Client } from "@gradio/client";
import { spawnReady, type Child } from "../helpers/processes.ts";
import { RedisServer } from "../helpers/redisServer.ts";

const APP = "test/cluster/fixtures/chaosApp.ts";
const JOBS = Number(process.env["CHAOS_JOBS"] ?? 300);
const USERS = 16;
const LEASE_MS = 3000;
/** Most time a client may wait for its final message, ms. */
const BOUND_MS = 30_000;
const SEED = Number(process.env["CHAOS_SEED"] ?? Math.floor(Math.random() * 2 ** 31));

interface Outcome {
  token: string;
  finals: number;
  result: "ok" | "error" | "timeout" | "wrong";
  message: string;
  waitedMs: number;
  begunMs: number;
  /** The client's events (types and stages), for the failure message. */
  seen: string[];
}

it(`survives Redis restarts and pauses, and front and worker kills, during a burst (seed ${SEED})`, {
  timeout: 170_000,
}, async () => {
  console.log(`chaos seed ${SEED} (replay: CHAOS_SEED=${SEED})`);
  const random = prng(SEED);
  const between = (lo: number, hi: number) => Math.floor(lo + random() * (hi - lo));
  const redis = await RedisServer.start();
  const dir = await mkdtemp(join(tmpdir(), "usher-chaos-"));
  after(() => rm(dir, { recursive: true, force: true }));
  const runLog = join(dir, "runs.log");
  const env = {
    USHER_REDIS_URL: redis.url,
    USHER_PREFIX: "chaos:",
    LEASE_MS: String(LEASE_MS),
    RUN_LOG: runLog,
    CONCURRENCY_COUNT: "4",
  };
  const start = (role: "front" | "worker") => spawnReady([APP], { ...env, ROLE: role }, 60_000);
  const fronts: (Child | null)[] = await Promise.all([start("front"), start("front")]);
  const workers: (Child | null)[] = await Promise.all([start("worker"), start("worker")]);
  const killedPids = new Set<number>();
  const faults: string[] = [];
  const t0 = Date.now();
  const note = (what: string) => faults.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);

  // ---- the chaos script: one fault at a time, every 1.5–3 s, until the burst is over
  let burstOver = false;
  const chaos = (async () => {
    while (!burstOver) {
      await sleep(between(1500, 3000));
      if (burstOver) break;
      const kind = (["redis-restart", "redis-pause", "front", "worker", "all"] as const)[between(0, 5)] ?? "worker";
      if (kind === "all") {
        // Everything at once: Redis (restarted empty), a front and a worker.
        const [f, w] = [between(0, 2), between(0, 2)];
        const front = fronts[f];
        const worker = workers[w];
        const downMs = between(300, 2000);
        note(
          `all at once: redis, front ${f} (pid ${front?.pid}), worker ${w} (pid ${worker?.pid}) kill -9, restart after ${downMs} ms`,
        );
        for (const c of [front, worker]) if (c !== null && c !== undefined) killedPids.add(c.pid);
        fronts[f] = null;
        workers[w] = null;
        await Promise.all([redis.kill(), front?.kill("SIGKILL"), worker?.kill("SIGKILL")]);
        await sleep(downMs);
        await redis.restart();
        [fronts[f], workers[w]] = await Promise.all([start("front"), start("worker")]);
      } else if (kind === "redis-restart") {
        const downMs = between(300, 2000);
        note(`redis kill -9, restart after ${downMs} ms`);
        await redis.kill();
        await sleep(downMs);
        await redis.restart();
      } else if (kind === "redis-pause") {
        // Up to longer than a lease: the reaper must not take a pause for deaths.
        const pauseMs = between(300, 4500);
        note(`redis SIGSTOP for ${pauseMs} ms`);
        redis.pause(true);
        await sleep(pauseMs);
        redis.pause(false);
      } else {
        const list = kind === "front" ? fronts : workers;
        const i = between(0, 2);
        const victim = list[i];
        if (victim === null || victim === undefined) continue;
        const downMs = between(200, 1500);
        note(`${kind} ${i} (pid ${victim.pid}) kill -9, restart after ${downMs} ms`);
        killedPids.add(victim.pid);
        list[i] = null;
        await victim.kill("SIGKILL");
        await sleep(downMs);
        list[i] = await start(kind);
      }
    }
  })();

  // ---- the burst: USERS clients, each submitting one job after another through a live front
  const outcomes: Outcome[] = [];
  let next = 0;
  const runJob = async (i: number): Promise<Outcome> => {
    const token = `j${i}`;
    const input = `${token}:${between(30, 400)}`;
    const live = fronts.filter((f): f is Child => f !== null);
    const front = live[between(0, live.length)] ?? fronts[0];
    const begun = Date.now();
    const outcome: Outcome = {
      token,
      finals: 0,
      result: "timeout",
      message: "",
      waitedMs: 0,
      begunMs: begun,
      seen: [],
    };
    let client: Client | undefined;
    const run = (async () => {
      try {
        client = await Client.connect(front?.ready ?? "http://127.0.0.1:1", { events: ["data", "status"] });
      } catch (err) {
        outcome.finals = 1;
        outcome.result = "error";
        outcome.message = `connect: ${err instanceof Error ? err.message : String(err)}`;
        return;
      }
      try {
        for await (const ev of client.submit("/work", [input])) {
          const e = ev as { type: string; stage?: string; message?: string; data?: unknown[] };
          outcome.seen.push(`${e.type}:${e.stage ?? ""}:${e.message ?? ""}`);
          if (e.type === "data") {
            outcome.result = e.data?.[0] === token ? "ok" : "wrong";
            outcome.message = JSON.stringify(e.data);
          }
          if (e.type === "status" && (e.stage === "complete" || e.stage === "error")) {
            outcome.finals++;
            if (e.stage === "error") {
              outcome.result = "error";
              outcome.message = String(e.message ?? "");
            }
          }
        }
      } catch (err) {
        outcome.finals++;
        outcome.result = "error";
        outcome.message = `submit: ${err instanceof Error ? err.message : String(err)}`;
      }
    })();
    await Promise.race([run, sleep(BOUND_MS)]);
    outcome.waitedMs = Date.now() - begun;
    try {
      client?.close();
    } catch {
      // already closed
    }
    return outcome;
  };
  await Promise.all(
    Array.from({ length: USERS }, async () => {
      while (next < JOBS) {
        outcomes.push(await runJob(next++));
        // A user reads the result before the next request: the burst lasts long enough for the chaos.
        await sleep(between(500, 3500));
      }
    }),
  );
  burstOver = true;
  await chaos;
  const elapsedS = (Date.now() - t0) / 1000;

  // ---- the report
  const runs = new Map<string, { pid: number; atMs: number }[]>();
  for (const line of (await readFile(runLog, "utf8").catch(() => "")).split("\n")) {
    const [token, pid, at] = line.split(" ");
    if (token === undefined || token === "" || pid === undefined) continue;
    const list = runs.get(token) ?? [];
    list.push({ pid: Number(pid), atMs: Number(at) });
    runs.set(token, list);
  }
  const count = (r: Outcome["result"]) => outcomes.filter((o) => o.result === r).length;
  const messages = new Map<string, number>();
  for (const o of outcomes)
    if (o.result === "error") messages.set(o.message.slice(0, 90), (messages.get(o.message.slice(0, 90)) ?? 0) + 1);
  const retried = [...runs.values()].filter((l) => l.length > 1).length;
  const maxWaitMs = Math.max(...outcomes.map((o) => o.waitedMs));
  console.log(
    [
      `chaos seed ${SEED}: ${JOBS} jobs in ${elapsedS.toFixed(1)} s; ok ${count("ok")}, error ${count("error")}, timeout ${count("timeout")}, wrong ${count("wrong")}; longest wait ${maxWaitMs} ms; jobs run twice (lease retry) ${retried}`,
      ...faults.map((f) => `  fault ${f}`),
      ...[...outcomes]
        .sort((x, y) => y.waitedMs - x.waitedMs)
        .slice(0, 3)
        .map(
          (o) =>
            `  slow ${o.token} ${o.waitedMs} ms from ${((o.begunMs - t0) / 1000).toFixed(1)}s, ran ${JSON.stringify(runs.get(o.token)?.map((r) => `${r.pid}@${((r.atMs - t0) / 1000).toFixed(1)}s`))}: ${o.seen.map((e) => e.slice(0, 40)).join(" ")}`,
        ),
      ...[...messages].map(([m, n]) => `  error x${n}: ${m}`),
    ].join("\n"),
  );

  // ---- the checks
  assert.equal(outcomes.length, JOBS);
  for (const o of outcomes) {
    assert.notEqual(o.result, "timeout", `${o.token}: no final message within ${BOUND_MS} ms (seed ${SEED})`);
    assert.notEqual(o.result, "wrong", `${o.token}: wrong result ${o.message} (seed ${SEED})`);
    assert.equal(o.finals, 1, `${o.token}: ${o.finals} final messages (seed ${SEED}): ${o.seen.join(" ")}`);
    if (o.result === "error")
      assert.ok(o.message.trim() !== "", `${o.token}: an error without a message (seed ${SEED})`);
  }
  for (const [token, list] of runs) {
    assert.ok(list.length <= 2, `${token} ran ${list.length} times (seed ${SEED})`);
    if (list.length === 2)
      assert.ok(killedPids.has(list[0]!.pid), `${token} ran twice, and its first runner was not killed (seed ${SEED})`);
  }
  assert.ok(count("ok") >= JOBS / 2, `most jobs succeed (${count("ok")} of ${JOBS}, seed ${SEED})`);
  assert.ok(faults.length >= 4, `the chaos happened (${faults.length} faults, seed ${SEED})`);
});
