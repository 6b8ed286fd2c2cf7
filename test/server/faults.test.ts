/**
 * Faults in user functions: one that throws, one that hangs past its `timeoutMs` (honouring its
 * abort signal or ignoring it), one that returns the wrong shape. Only the user who hit the fault
 * sees an error; everyone else keeps being served, end to end through HTTP and @gradio/client.
 * A worker thread that crashes is covered with the worker pool, in test/runtime/workerFailures.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client } from "@gradio/client";
import { Interface } from "../../src/index.ts";
import { launch } from "../helpers/launch.ts";

/** Aborts seen by the function (to check a timed-out call was told to stop). */
const aborted: string[] = [];

const demo = new Interface({
  fn: async (mode: string, ctx: { signal: AbortSignal }): Promise<[string, string]> => {
    switch (mode) {
      case "throw":
        throw new Error("model exploded");
      case "hang":
        // Honours its signal: ends when the timeout aborts it.
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener("abort", () => {
            aborted.push(mode);
            resolve();
          }),
        );
        return ["late", "late"];
      case "hang-deaf":
        // Ignores its signal; the user still gets the timeout error at once.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return ["late", "late"];
      case "shape":
        return "not two values" as unknown as [string, string];
      default:
        await new Promise((resolve) => setTimeout(resolve, 5));
        return [mode, mode.length.toString()];
    }
  },
  inputs: "text",
  outputs: ["text", "text"],
  apiName: "f",
  timeoutMs: 300,
});

const app = await launch(demo, { concurrencyCount: 4 });

test("throw, timeout, deaf hang and wrong shape fail only their own user; others complete", async () => {
  const client = await Client.connect(app.url);
  const modes = ["throw", "hang", "hang-deaf", "shape"];
  const faulty = modes.map((m) =>
    client.predict("/f", [m]).then(
      () => ({ mode: m, error: null as string | null }),
      (err: { message?: string }) => ({ mode: m, error: String(err?.message ?? err) }),
    ),
  );
  const good = Array.from({ length: 30 }, (_, i) => client.predict("/f", [`user${i}`]));
  const results: { data: unknown }[] = await Promise.all(good);
  results.forEach((r, i) => assert.deepEqual(r.data, [`user${i}`, String(`user${i}`.length)]));
  const errors: { mode: string; error: string | null }[] = await Promise.all(faulty);
  for (const e of errors) assert.notEqual(e.error, null, `${e.mode} should fail`);
  const byMode = Object.fromEntries(errors.map((e) => [e.mode, e.error]));
  // Not an AppError and showError is off: the message stays generic and leaks nothing.
  assert.doesNotMatch(byMode["throw"] ?? "", /model exploded/);
  assert.match(byMode["hang"] ?? "", /time/i);
  assert.match(byMode["hang-deaf"] ?? "", /time/i);
  assert.ok(aborted.includes("hang"), "the timed-out function saw its abort signal");
});

test("after the faults the queue is empty and still serves", async () => {
  // The deaf function holds its slot until it really returns (1.5 s): the other slots serve.
  const client = await Client.connect(app.url);
  assert.deepEqual((await client.predict("/f", ["again"])).data, ["again", "5"]);
  assert.equal(await app.engine.size(), 0);
});

test("a function error reaches the user as an error status through /call too", async () => {
  const res = await fetch(`${app.url}/gradio_api/call/f`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ data: ["hang"] }),
  });
  const { event_id } = (await res.json()) as { event_id: string };
  const t0 = performance.now();
  const text = await (await fetch(`${app.url}/gradio_api/call/f/${event_id}`)).text();
  assert.match(text, /event: error/);
  assert.ok(performance.now() - t0 < 2000, "the timeout ends the stream promptly");
});
