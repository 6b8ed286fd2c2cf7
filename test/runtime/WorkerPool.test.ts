/** The pool on its own: moved buffers, and a stream closed early runs the generator's cleanup. */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { inWorker, workerRefOf } from "../../src/runtime/inWorker.ts";
import { WorkerPool } from "../../src/runtime/WorkerPool.ts";
import type { InvokeContext } from "../../src/queue/types.ts";

const mod = new URL("../fixtures/workerModule.ts", import.meta.url);
const pool = new WorkerPool({ threads: 1, abortGraceMs: 500 });
after(() => pool.close());

function ctx(): InvokeContext {
  return {
    events: [{ eventId: "e1", sessionHash: "s1", rootUrl: "http://x", meta: {} }],
    signal: new AbortController().signal,
    progress: () => undefined,
    log: () => undefined,
  };
}

test("a result wrapped in transfer() arrives whole (its buffer moved, not copied)", async () => {
  const out = (await pool.run(workerRefOf(inWorker(mod, "bytes"))!, [1000], ctx())) as Uint8Array;
  assert.ok(out instanceof Uint8Array);
  assert.equal(out.length, 1000);
  assert.equal(out[999], 999 % 256);
});

test("a stream read partly and closed ends in the worker; the thread serves the next call", async () => {
  const stream = (await pool.run(workerRefOf(inWorker(mod, "count"))!, [100], ctx())) as AsyncIterableIterator<string>;
  const first = await stream.next();
  assert.match(String(first.value), /^1\/100@/);
  await stream.return?.();
  const again = (await pool.run(workerRefOf(inWorker(mod, "busy"))!, [1], ctx())) as { threadId: number };
  assert.equal(typeof again.threadId, "number");
});

test("inWorker refuses a relative path and names the function after its export", () => {
  assert.throws(() => inWorker("./model.ts", "predict"), /file: URL or an absolute path/);
  assert.equal(inWorker(mod, "predict").name, "predict");
});
