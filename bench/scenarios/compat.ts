/**
 * Scenario "compat": the real `@gradio/client` against each target, to prove that both speak the
 * protocol the load generator assumes: predict, a streamed submit, and a queue-full refusal.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "@gradio/client";
import { spawnServer, type TargetName } from "../servers/spawnServer.ts";
import type { ServerSpec } from "../servers/ServerSpec.ts";
import type { BenchContext, PointResult, Scenario, TargetCheck } from "./Scenario.ts";

const NAME = "compat";
const TITLE = "Compatibility: real @gradio/client 2.x";
const CLIENT_TIMEOUT_MS = 10_000;

interface Case {
  readonly name: string;
  readonly server: ServerSpec;
  /** Resolves with what was seen; throws on a wrong result. */
  readonly run: (client: Client) => Promise<string>;
}

const CASES: readonly Case[] = [
  {
    name: "predict identity",
    server: { fn: { kind: "identity" }, concurrencyCount: 1, maxSize: null },
    async run(client) {
      const result = await client.predict("/predict", ["hello"]);
      expectEqual(result.data, ["hello"]);
      return JSON.stringify(result.data);
    },
  },
  {
    name: "submit generator (diffs)",
    server: { fn: { kind: "stream", tokens: 5, intervalMs: 10 }, concurrencyCount: 1, maxSize: null },
    async run(client) {
      const seen: unknown[] = [];
      for await (const event of client.submit("/predict", ["hi"])) {
        if (event.type === "data") seen.push(event.data);
        if (event.type === "status" && event.stage === "error") throw new Error(`status error: ${event.message ?? ""}`);
      }
      expectEqual(seen.at(-1), ["hi t0 t1 t2 t3 t4"]);
      if (seen.length < 5) throw new Error(`expected ≥ 5 data events, got ${seen.length}`);
      return `${seen.length} data events, last ${JSON.stringify(seen.at(-1))}`;
    },
  },
  {
    name: "queue full refuses (503)",
    server: { fn: { kind: "sleep", sleepMs: 500 }, concurrencyCount: 1, maxSize: 1, floorLimitsConcurrency: true },
    async run(client) {
      // The first call takes the only slot, the second the only waiting place; the third is refused.
      const first = client.predict("/predict", ["first"]);
      await sleep(50);
      const second = client.predict("/predict", ["second"]);
      await sleep(50);
      let refusal: string | null = null;
      try {
        await client.predict("/predict", ["third"]);
      } catch (e) {
        refusal = (e as { message?: string }).message ?? String(e);
      }
      if (refusal === null) throw new Error("third call was not refused");
      if (!/busy/i.test(refusal)) throw new Error(`refused with an unexpected message: ${refusal}`);
      expectEqual((await first).data, ["first"]);
      expectEqual((await second).data, ["second"]);
      return `third refused: ${JSON.stringify(refusal)}; first and second completed`;
    },
  },
];

function expectEqual(actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

async function runCase(ctx: BenchContext, c: Case, target: TargetName): Promise<string> {
  const server = await spawnServer(target, c.server);
  let client: Client | undefined;
  try {
    const work = (async () => {
      client = await Client.connect(server.url);
      return c.run(client);
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer after ${CLIENT_TIMEOUT_MS} ms`)), CLIENT_TIMEOUT_MS);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    client?.close();
    await server.stop();
    ctx.log(`  ${NAME} ${c.name} ${target}: done`);
  }
}

/** Drives each target with the real client; one check per case and target. */
export const compat: Scenario = {
  name: NAME,
  title: TITLE,
  description:
    "Runs the real @gradio/client (Client.connect, predict, submit of a generator, and a 503 queue-full " +
    "refusal) against each target. Target: all pass.",
  async run(ctx) {
    const checks: TargetCheck[] = [];
    for (const c of CASES) {
      for (const target of ctx.targets) {
        try {
          const actual = await runCase(ctx, c, target);
          checks.push({ name: `${target}: ${c.name}`, goal: "works", actual, pass: true });
        } catch (e) {
          const message = ((e as Error).message ?? String(e)).split("\n")[0] ?? "";
          const didNotStart = message.includes("server did not start");
          checks.push({
            name: `${target}: ${c.name}`,
            goal: "works",
            actual: message.slice(0, 160),
            pass: didNotStart ? null : false,
          });
        }
      }
    }
    const points: PointResult[] = [];
    return { name: NAME, title: TITLE, points, checks };
  },
};
