/**
 * A load balancer that is not sticky: every join, stream and cancel of a session goes to any of
 * three fronts at random (two running jobs with local workers, one running none; a worker process
 * besides), sessions side by side. 30% of events are cancelled through a random front, 30% of
 * streams open just before their join, and 30% of jobs are generators that stream two steps. Each
 * join must end in exactly one final, with its own result, on the stream read after it, and its
 * messages must come in order: estimations, one start, outputs, the final. Session hashes include
 * the characters a client may put there (spaces, quotes, non-ASCII, `@`, `|`, `%`). The seed is
 * printed; `NONSTICKY_SEED=<n>` replays a run's choices (not the timing).
 *
 * It found, run two to four at a time on a loaded 2-core machine (bench/README.md, 2026-12-07 and
 * 12-08): a release that left the runner out of the adopters; a stream held open by a look at the
 * store answered after the final it listed as pending; a stream ended on the word of an old
 * release, its front holding only finals kept from earlier; a front that took a session for one
 * held with the others while the store did not count it among them (its relay had let go, or its
 * stream's adoption had found nothing); outputs before the start (a worker's quiet claim, or a
 * shared session); estimations after the start; and a runner's last output after a cancel. */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, it } from "node:test";
import { Interface } from "../../src/index.ts";
import { runWorker } from "../../src/compose/runWorker.ts";
import { redisStore } from "../../src/redis.ts";
import { launch, post } from "../helpers/launch.ts";
import { prng } from "../helpers/prng.ts";
import { REDIS_URL, testPrefix } from "../helpers/redis.ts";

const SEED = Number(process.env["NONSTICKY_SEED"] ?? Math.floor(Math.random() * 1e6));
const ROUNDS = 6;
/** How long a stream may take to end once its event is joined, ms: far more than a job's 30 ms. */
const STREAM_MS = 5000;
const HASHES = ["plain", "with space", " lead", "trail ", "two  spaces", "ünï ☕", 'q"uote', "pct%20x", "@at", "a|b:c"];

interface Streamed {
  /** Each message's data, parsed. */
  readonly messages: { msg?: string; event_id?: string; success?: boolean; output?: { data?: unknown } }[];
  /** The stream had not ended within {@link STREAM_MS}. */
  readonly timedOut: boolean;
}

/** Reads a session's stream until it ends, or for {@link STREAM_MS} at most (what came until then). */
async function readStream(url: string): Promise<Streamed> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), STREAM_MS);
  let text = "";
  let timedOut = false;
  try {
    const res = await fetch(url, { signal: abort.signal });
    if (res.body === null) throw new Error(`no body (${res.status})`);
    const decoder = new TextDecoder();
    for await (const chunk of res.body) text += decoder.decode(chunk as Uint8Array, { stream: true });
  } catch {
    timedOut = true;
  } finally {
    clearTimeout(timer);
  }
  const messages = text
    .split("\n\n")
    .map((block) => block.split("\n").find((line) => line.startsWith("data: ")))
    .filter((line) => line !== undefined)
    .map((line) => JSON.parse(line.slice(6)) as Streamed["messages"][number]);
  return { messages, timedOut };
}

/** An event's messages: estimations, at most one start, outputs (a generator's), one final, in that order. */
function inOrder(msgs: readonly string[]): boolean {
  const STAGE: Record<string, number> = {
    estimation: 0,
    process_starts: 1,
    process_generating: 2,
    process_completed: 3,
  };
  let stage = -1;
  for (const msg of msgs) {
    const next = STAGE[msg];
    if (next === undefined) continue;
    if (next < stage || (next === stage && next !== 0 && next !== 2)) return false;
    stage = next;
  }
  return true;
}

it(`serves every session through fronts picked at random, each join one final (seed ${SEED})`, async () => {
  console.log(`non-sticky seed ${SEED} (replay: NONSTICKY_SEED=${SEED})`);
  const random = prng(SEED);
  const keyPrefix = testPrefix("nonsticky");
  const app = () =>
    new Interface({
      // "<word>#<ms>[#g]": upper-cases the word after waiting ms; with "#g", streams a step before and after the wait.
      fn: async function* (x: string) {
        const [, wait, steps] = x.split("#");
        if (steps === "g") yield "1";
        if (Number(wait) > 0) await sleep(Number(wait));
        if (steps === "g") yield "2";
        yield x.toUpperCase();
      },
      inputs: "text",
      outputs: "text",
      apiName: "up",
    }).queue({ concurrencyCount: 2 });
  const store = () => redisStore({ url: REDIS_URL, keyPrefix, leaseMs: 2000 });
  const fronts = [
    await launch(app(), { store: store(), localWorkers: false }),
    await launch(app(), { store: store(), localWorkers: true }),
    await launch(app(), { store: store(), localWorkers: true }),
  ];
  const worker = await runWorker(app().queue({ store: store() }), { quiet: true, handleSignals: false });
  after(() => worker.close({ graceMs: 0 }));
  const pick = () => fronts[Math.floor(random() * fronts.length)] as (typeof fronts)[number];
  let cancels = 0;
  const problems: string[] = [];
  await Promise.all(
    HASHES.map(async (session, k) => {
      for (let round = 0; round < ROUNDS; round++) {
        const joinAt = pick();
        const streamAt = pick();
        const cancelAt = random() < 0.3 ? pick() : null;
        const early = random() < 0.3;
        const input = `s${k}r${round}#${[0, 0, 5, 30][Math.floor(random() * 4)]}${random() < 0.3 ? "#g" : ""}`;
        const what = `${JSON.stringify(session)} round ${round} (join on ${fronts.indexOf(joinAt)}, stream on ${fronts.indexOf(streamAt)}${early ? ", opened first" : ""}${cancelAt === null ? "" : `, cancelled on ${fronts.indexOf(cancelAt)}`})`;
        const url = `${streamAt.url}/gradio_api/queue/data?session_hash=${encodeURIComponent(session)}`;
        // A stream opened before the join may end at once (nothing pending yet): then it is read again.
        const before = early ? readStream(url) : null;
        const join = await post(`${joinAt.url}/gradio_api/queue/join`, {
          data: [input],
          fn_index: 0,
          session_hash: session,
        });
        if (join.status !== 200) {
          problems.push(`${what}: join ${join.status} ${join.text}`);
          continue;
        }
        const eventId = String(join.json.event_id);
        // A cancel may come before the start, during the run or after the result (then: 404).
        const cancel =
          cancelAt === null
            ? null
            : post(`${cancelAt.url}/gradio_api/cancel`, { event_id: eventId, session_hash: session }).then((r) => {
                cancels++;
                if (r.status !== 200 && r.status !== 404) problems.push(`${what}: cancel ${r.status} ${r.text}`);
              });
        const finalsIn = (s: Streamed) =>
          s.messages.filter((m) => m.msg === "process_completed" && m.event_id === eventId);
        let streamed = before === null ? null : await before;
        if (streamed !== null && (streamed.timedOut || finalsIn(streamed).length === 0)) {
          if (streamed.timedOut) problems.push(`${what}: the stream opened first did not end`);
          streamed = null;
        }
        streamed ??= await readStream(url);
        const finals = finalsIn(streamed);
        if (streamed.timedOut || finals.length !== 1) {
          const seen = streamed.messages.map((m) => `${m.msg}${m.event_id === eventId ? "*" : ""}`).join(" ");
          problems.push(`${what}: ${finals.length} finals, ${streamed.timedOut ? "not ended" : "ended"}: ${seen}`);
        } else if (!inOrder(streamed.messages.filter((m) => m.event_id === eventId).map((m) => String(m.msg)))) {
          problems.push(`${what}: out of order: ${streamed.messages.map((m) => m.msg).join(" ")}`);
        } else if (finals[0]?.success !== false || cancelAt === null) {
          assert.deepEqual(finals[0]?.output?.data, [input.toUpperCase()], what);
        }
        await cancel;
      }
    }),
  );
  assert.ok(cancels > 0, `seed ${SEED}: some events were cancelled`);
  assert.deepEqual(problems, [], `seed ${SEED}`);
});
