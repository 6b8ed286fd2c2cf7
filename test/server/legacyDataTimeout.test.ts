/**
 * A Gradio 3.x socket that does not answer `send_data` loses its turn (issue 14, item 4), on the
 * manual clock: the real engine and router, sockets faked at the `ws` level, the raw connection's
 * bytes fed by hand.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import type { FastifyBaseLogger } from "fastify";
import type { WebSocket } from "ws";
import type { Duplex } from "node:stream";
import { resolveLaunchOptions } from "../../src/options.ts";
import { QueueEngine } from "../../src/queue/QueueEngine.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import type { ServerContext } from "../../src/server/ServerContext.ts";
import {
  LEGACY_DATA_MAX_MS,
  LEGACY_DATA_MIN_BYTES_PER_S,
  legacyDataTimeoutMessage,
} from "../../src/server/ws/LegacyDataWait.ts";
import { LegacyQueueSocket } from "../../src/server/ws/LegacyQueueSocket.ts";
import { LegacyRouter } from "../../src/server/ws/LegacyRouter.ts";
import type { WsPinger } from "../../src/server/ws/WsPinger.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import { FakeFn } from "../queue/helpers.ts";

const TIMEOUT_MS = 5000;

/** The part of a `ws` socket that LegacyQueueSocket and WsChannel use. */
class FakeWs extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  closeCode: number | null = null;
  readonly frames: Record<string, any>[] = [];

  send(text: string, cb?: (err?: Error) => void): void {
    this.frames.push(JSON.parse(text) as Record<string, any>);
    cb?.();
  }

  close(code: number): void {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.closeCode = code;
    queueMicrotask(() => this.emit("close", code));
  }

  /** A frame from the client. */
  receive(value: unknown): void {
    this.emit("message", Buffer.from(JSON.stringify(value)), false);
  }

  msgs(): string[] {
    return this.frames.map((f) => String(f["msg"]));
  }

  pause(): void {}
  resume(): void {}
  ping(): void {}
  terminate(): void {
    this.close(1006);
  }
}

const quietLog = { info() {}, error() {}, warn() {}, debug() {} } as unknown as FastifyBaseLogger;
const pinger = { add() {}, remove() {} } as unknown as WsPinger;

function setup(concurrencyCount: number) {
  const clock = new ManualClock();
  const fn = new FakeFn(0);
  const router = new LegacyRouter({
    slotsOf: () => concurrencyCount,
    averageMs: () => null,
    dataTimeoutMs: TIMEOUT_MS,
    clock,
  });
  const engine = new QueueEngine({
    functions: [router.wrap(fn)],
    store: new MemoryStore(),
    ownsStore: true,
    clock,
    concurrencyCount,
    maxSize: null,
    maxThreads: 40,
    statusUpdateMs: 1000,
    showError: false,
  });
  engine.on(router.deliver);
  const ctx = { app: { functions: [{ id: 0, validate: () => undefined }] }, engine } as unknown as ServerContext;
  /** Opens a socket and answers `send_hash`. */
  const open = async (session: string): Promise<{ ws: FakeWs; raw: EventEmitter }> => {
    const ws = new FakeWs();
    const raw = new EventEmitter();
    new LegacyQueueSocket(
      ctx,
      router,
      ws as unknown as WebSocket,
      "http://x",
      pinger,
      quietLog,
      raw as unknown as Duplex,
    );
    ws.receive({ fn_index: 0, session_hash: session });
    await clock.advance(0);
    return { ws, raw };
  };
  return { clock, fn, engine, open };
}

test("legacyDataTimeoutMs: default 5000, validated", () => {
  assert.equal(resolveLaunchOptions({}).legacyDataTimeoutMs, 5000);
  assert.equal(resolveLaunchOptions({ legacyDataTimeoutMs: 250 }).legacyDataTimeoutMs, 250);
  for (const bad of [0, -1, 1.5, "5000"]) {
    assert.throws(() => resolveLaunchOptions({ legacyDataTimeoutMs: bad as number }), /legacyDataTimeoutMs/);
  }
});

test("two silent sockets holding both slots lose their turn at the timeout; the next event gets the slot at once", async () => {
  const { clock, fn, engine, open } = setup(2);
  const a = await open("a");
  const b = await open("b");
  const c = await open("c");
  assert.deepEqual(a.ws.msgs(), ["send_hash", "estimation", "send_data"]);
  assert.deepEqual(b.ws.msgs(), ["send_hash", "estimation", "send_data"]);
  assert.deepEqual(c.ws.msgs(), ["send_hash", "estimation"]);
  await clock.advance(TIMEOUT_MS - 1);
  assert.ok(!c.ws.msgs().includes("send_data"), "still waiting one ms before the timeout");
  assert.equal(a.ws.closeCode, null);
  await clock.advance(1);
  const lost = {
    msg: "process_completed",
    output: { error: legacyDataTimeoutMessage("silent", TIMEOUT_MS) },
    success: false,
  };
  for (const s of [a, b]) {
    assert.deepEqual(s.ws.frames.at(-1), lost);
    assert.equal(s.ws.closeCode, 1000);
  }
  assert.match(lost.output.error, /did not arrive within 5 s.*next request/);
  assert.equal(c.ws.msgs().at(-1), "send_data", "the slot went to the next event at the timeout, not later");
  c.ws.receive({ data: ["hi"], event_data: null, fn_index: 0, session_hash: "c" });
  await clock.advance(0);
  assert.equal(fn.calls.length, 1, "the silent events never reached the function");
  assert.deepEqual(fn.last().inputs, [["hi"]], "one event, with its own inputs");
  fn.last().resolve([["HI"]]);
  await clock.advance(0);
  assert.deepEqual(c.ws.frames.at(-1)?.["output"].data, ["HI"]);
  assert.equal(await engine.size(), 0);
});

test("inputs still arriving at a fair rate keep the turn, up to the 60 s ceiling; a trickle or a stall loses it", async () => {
  const { clock, fn, open } = setup(1);
  const perPeriod = (LEGACY_DATA_MIN_BYTES_PER_S * TIMEOUT_MS) / 1000;

  // A large answer on a slow link: enough bytes each period, then the whole frame.
  const slow = await open("slow");
  for (let i = 0; i < 3; i++) {
    slow.raw.emit("data", Buffer.alloc(perPeriod));
    await clock.advance(TIMEOUT_MS);
  }
  assert.equal(slow.ws.closeCode, null, "still waiting after three steady periods");
  slow.ws.receive({ data: ["big"], event_data: null, fn_index: 0, session_hash: "slow" });
  await clock.advance(0);
  assert.deepEqual(fn.last().inputs, [["big"]]);
  fn.last().resolve([["BIG"]]);
  await clock.advance(0);
  assert.deepEqual(slow.ws.frames.at(-1)?.["output"].data, ["BIG"]);

  // A trickle: bytes, but fewer than the rate asks for.
  const trickle = await open("trickle");
  trickle.raw.emit("data", Buffer.alloc(perPeriod));
  await clock.advance(TIMEOUT_MS);
  trickle.raw.emit("data", Buffer.alloc(perPeriod - 1));
  await clock.advance(TIMEOUT_MS);
  assert.deepEqual(trickle.ws.frames.at(-1)?.["output"], { error: legacyDataTimeoutMessage("slow", TIMEOUT_MS) });
  assert.equal(trickle.ws.closeCode, 1000);

  // Steady but endless: the ceiling.
  const endless = await open("endless");
  let waited = 0;
  while (endless.ws.closeCode === null) {
    endless.raw.emit("data", Buffer.alloc(perPeriod));
    await clock.advance(TIMEOUT_MS);
    waited += TIMEOUT_MS;
  }
  assert.equal(waited, LEGACY_DATA_MAX_MS);
  assert.deepEqual(endless.ws.frames.at(-1)?.["output"], {
    error: legacyDataTimeoutMessage("max", LEGACY_DATA_MAX_MS),
  });
  assert.equal(fn.calls.length, 1, "only the answered event ran");
  assert.equal(endless.raw.listenerCount("data"), 0, "the byte count stops with the wait");
  assert.equal(slow.raw.listenerCount("data"), 0);
});
