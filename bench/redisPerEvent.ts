/**
 * Redis's work per prediction with one front's queue engine on the Redis store, in this process: no
 * HTTP, no load generator, no session hub. Identity function (answering in the call), U users each
 * joining its next event when the previous one completes, a reader attached to every session (its
 * finals are read in-process, as a front's open stream reads them). Per round: predictions per
 * second, Redis' CPU and commands per prediction (`INFO`), and this process' CPU per prediction.
 *
 *   node [--expose-gc] --conditions=usher-source --import tsx bench/redisPerEvent.ts [--users=50] [--slots=8] \
 *     [--n=20000] [--rounds=5] [--fresh] [--fair] [--payload=BYTES] [--mix] [--heap] [--floor] [--url=redis://127.0.0.1:6379]
 *
 * Two processes on two cores, nothing else: steadier than `scaleout` on a small VM, for comparing
 * changes to the scripts (run before and after, alternating). `--slots` is the concurrencyCount:
 * fewer than the users keeps a queue waiting (the slow path: ring, claim at release), more gives
 * every admission the fast path. `--fresh` gives every prediction a session of its own. `--fair`
 * turns fair share on, as in an app (the engine alone orders by admission).
 * `--payload` makes each input a string of that many bytes (the identity function's result is the
 * same string), as a model's text or image data would be. `--mix`
 * lists the commands per prediction; `--heap` (with `node --expose-gc`) the heap kept after each
 * round, which a leak per prediction grows. `--floor` follows each round with the same number of
 * predictions' commands run from a script with no logic ({@link measureLuaFloor}, 8 predictions a
 * call as a batch of 16 calls holds): "scripts" is the time inside script calls per prediction,
 * so the real scripts' figure less the floor's is what their own Lua costs.
 */
import { QueueEngine } from "../src/queue/QueueEngine.ts";
import { FIFO_POLICY } from "../src/queue/QueueStore.ts";
import { SessionRelay } from "../src/server/SessionRelay.ts";
import { RedisStore } from "../src/store/RedisStore.ts";
import { deleteRedisKeys } from "./load/deleteRedisKeys.ts";
import { argValue } from "./load/argValue.ts";
import { measureLuaFloor } from "./load/luaFloor.ts";
import { RedisMeter, type RedisReading } from "./load/RedisMeter.ts";
import { completionWaiters, IDENTITY_ENGINE_FN } from "./load/engineCompletions.ts";

const users = Number(argValue("users", "50"));
const slots = Number(argValue("slots", "8"));
const n = Number(argValue("n", "20000"));
const rounds = Number(argValue("rounds", "5"));
const fresh = process.argv.includes("--fresh");
const fair = process.argv.includes("--fair");
const payload = Number(argValue("payload", "0"));
const text = payload > 0 ? "x".repeat(payload) : null;
const url = argValue("url", "redis://127.0.0.1:6379");
const prefix = `usher-bench:${process.pid}:perEvent:`;

const store = new RedisStore({ url, keyPrefix: prefix });
await store.ready();
const relay = new SessionRelay(store.bus);
// Every session is read here, as a front's open stream would read it.
relay.setHost({ accept: () => true, held: () => [], reading: () => true, left: () => undefined });
const engine = new QueueEngine({
  // --fair: fair share on, as an app's queue has it by default (the engine's own default is FIFO).
  ...(fair ? { policy: { ...FIFO_POLICY, fairness: true } } : {}),
  functions: [IDENTITY_ENGINE_FN],
  store,
  ownsStore: true,
  concurrencyCount: slots,
  maxSize: null,
  maxThreads: slots,
  statusUpdateMs: 1000,
  showError: false,
  bus: relay,
});
const completion = completionWaiters(engine);

const meter = new RedisMeter(url);

/** The commands of a round per prediction, most first: "hset 3.0, zadd 2.0, ...". */
function commandMix(reading: RedisReading, preds: number): string {
  return Object.entries(reading.callsByCommand)
    .map(([name, c]) => [name, c / preds] as const)
    .filter(([, per]) => per >= 0.05)
    .sort((x, y) => y[1] - x[1])
    .map(([name, per]) => `${name} ${per.toFixed(2)}`)
    .join(", ");
}

let next = 0;
async function round(count: number): Promise<string> {
  const each = Math.ceil(count / users);
  meter.start();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      for (let i = 0; i < each; i++) {
        const k = next++;
        const eventId = `${process.pid.toString(16)}x${String(k).padStart(24, "0")}`;
        const completed = completion(eventId);
        const sessionHash = fresh ? `s${k}` : `s${u}`;
        await engine.admit({ fnId: 0, sessionHash, data: [text ?? i], eventId, rootUrl: "" });
        await completed;
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const r = await meter.stop();
  const preds = each * users;
  // INFO's own calls (6 per round) are left in: 0.0003 a prediction.
  return (
    `${((preds * 1000) / wallMs).toFixed(0)}/s, Redis ${((r.cpuMs * 1000) / preds).toFixed(1)} µs ` +
    `${(r.calls / preds).toFixed(2)} cmds (scripts ${(r.scriptUs / preds).toFixed(1)} µs), ` +
    `this process ${((c.user + c.system) / preds).toFixed(1)} µs a prediction` +
    (process.argv.includes("--mix") ? `\n  ${commandMix(r, preds)}` : "")
  );
}

try {
  await round(n / 4); // warm-up: JIT, pools
  for (let r = 0; r < rounds; r++) {
    console.log(`round ${r + 1}: ${await round(n)}`);
    if (process.argv.includes("--floor")) {
      const floor = await measureLuaFloor(url, n, 8);
      console.log(
        `  floor: Redis ${floor.redisCpuUs.toFixed(1)} µs (scripts ${floor.scriptUs.toFixed(1)} µs) a prediction`,
      );
    }
    // With node --expose-gc: what the process keeps after each round (a per-prediction leak grows it).
    const gc = (globalThis as { gc?: () => void }).gc;
    if (process.argv.includes("--heap") && gc !== undefined) {
      gc();
      console.log(`  heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(1)} MB after ${next} predictions`);
    }
  }
} finally {
  await engine.close();
  meter.close();
  await deleteRedisKeys(url, prefix);
}
