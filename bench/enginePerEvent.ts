/**
 * Wall time per event of the queue engine alone, in this process: identity function (answering in
 * the call), in-memory store, concurrencyCount 1, U users each joining its next event when the
 * previous one completes, the way the join route calls it. No sockets, no session hub, no
 * messages: the engine's own per-event work (admission, ETA, dispatch, run, completion) and its
 * garbage.
 *
 *   node scripts/ensure-dist.mjs && node --conditions=usher-source --import tsx bench/enginePerEvent.ts [--users=10] [--n=100000] [--rounds=10] [--baseline=DIR]
 *
 * Runs the built package (dist/). `--baseline=DIR` adds the engine of another checkout's dist/
 * (built) and alternates rounds between the two in the same process, so that before and after
 * share the machine's drift; the median and best round of each are printed.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { QueueEngine as QueueEngineClass } from "../src/queue/QueueEngine.ts";
import type { MemoryStore as MemoryStoreClass } from "../src/store/MemoryStore.ts";
import { argValue } from "./load/argValue.ts";
import { completionWaiters, IDENTITY_ENGINE_FN } from "./load/engineCompletions.ts";

/** Runs `count` events through one engine; returns µs per event. */
type Runner = (count: number) => Promise<number>;

async function engineOf(root: string, users: number): Promise<Runner> {
  const url = pathToFileURL(resolve(root, "dist/queue/QueueEngine.js")).href;
  const { QueueEngine } = (await import(url)) as { QueueEngine: typeof QueueEngineClass };
  // The engine is handed its store (as src/compose/ does): the same checkout's in-memory one.
  const storeUrl = pathToFileURL(resolve(root, "dist/store/MemoryStore.js")).href;
  const { MemoryStore } = (await import(storeUrl)) as { MemoryStore: typeof MemoryStoreClass };
  const engine = new QueueEngine({
    functions: [IDENTITY_ENGINE_FN],
    store: new MemoryStore(),
    ownsStore: true,
    concurrencyCount: 1,
    maxSize: null,
    maxThreads: 40,
    statusUpdateMs: 1000,
    showError: false,
  });
  const completion = completionWaiters(engine);
  let next = 0;
  return async (count) => {
    const t0 = performance.now();
    const each = Math.ceil(count / users);
    await Promise.all(
      Array.from({ length: users }, async (_, u) => {
        for (let i = 0; i < each; i++) {
          const eventId = `e${next++}`;
          const completed = completion(eventId);
          const req = { fnId: 0, sessionHash: `s${u}`, data: [i], eventId, rootUrl: "" };
          // The join route's call (admit, answering in the call), or join on an engine without it.
          const admitted = engine.admit === undefined ? engine.join(req) : engine.admit(req);
          if (admitted instanceof Promise) await admitted;
          await completed;
        }
      }),
    );
    return ((performance.now() - t0) * 1000) / (each * users);
  };
}

const users = Number(argValue("users", "10"));
const n = Number(argValue("n", "100000"));
const rounds = Number(argValue("rounds", "10"));
const baseline = argValue("baseline", "");
const targets = new Map<string, Runner>([["usher", await engineOf(".", users)]]);
if (baseline !== "") targets.set("baseline", await engineOf(baseline, users));
for (const run of targets.values()) await run(n / 4); // warm-up: JIT
const results = new Map<string, number[]>([...targets.keys()].map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  const order = [...targets.keys()];
  if (r % 2 === 1) order.reverse();
  for (const name of order) results.get(name)?.push(await (targets.get(name) as Runner)(n));
}
for (const [name, us] of results) {
  const sorted = [...us].sort((a, b) => a - b);
  console.log(
    `${name.padEnd(8)} median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)} µs/event, best ${sorted[0]?.toFixed(2)} (${users} users, ${rounds} × ${n})`,
  );
}
