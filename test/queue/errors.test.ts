import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError, UsherError } from "../../src/errors.ts";
import { toErrorPayload } from "../../src/queue/toErrorPayload.ts";
import { FakeFn, join, makeEngine, settle } from "./helpers.ts";

describe("toErrorPayload", () => {
  it("shows an AppError with its own title, duration and visibility", () => {
    assert.deepEqual(
      toErrorPayload(new AppError("Bad input", { title: "Hmm", durationMs: null, visible: false }), false),
      {
        message: "Bad input",
        title: "Hmm",
        durationMs: null,
        visible: false,
        code: "APP_ERROR",
      },
    );
    assert.deepEqual(toErrorPayload(new AppError("Plain"), false), {
      message: "Plain",
      title: "Error",
      durationMs: 10_000,
      visible: true,
      code: "APP_ERROR",
    });
  });

  it("always shows Usher's own clear errors", () => {
    for (const code of ["TIMEOUT", "BATCH_SHAPE", "OUTPUT_SHAPE", "VALIDATION"] as const) {
      assert.deepEqual(toErrorPayload(new UsherError(code, `msg ${code}`), false), {
        message: `msg ${code}`,
        title: "Error",
        durationMs: 10_000,
        visible: true,
        code,
      });
    }
  });

  it("hides other messages unless showError", () => {
    const hidden = { message: null, title: "Error", durationMs: 10_000, visible: true, code: "FUNCTION_ERROR" };
    assert.deepEqual(toErrorPayload(new Error("db password wrong"), false), hidden);
    assert.deepEqual(toErrorPayload("a string", false), hidden);
    assert.deepEqual(toErrorPayload(new Error("db password wrong"), true), { ...hidden, message: "db password wrong" });
    assert.deepEqual(toErrorPayload("a string", true), { ...hidden, message: "a string" });
    assert.deepEqual(toErrorPayload({ message: 42 }, true), { ...hidden, message: "42" });
    assert.deepEqual(toErrorPayload(undefined, true), { ...hidden, message: "undefined" });
    // Another UsherError keeps its code (for logs) but not its message.
    assert.deepEqual(toErrorPayload(new UsherError("INTERNAL", "oops"), false), { ...hidden, code: "INTERNAL" });
  });
});

describe("QueueEngine failures", () => {
  it("fails the event with the payload when invoke rejects or throws synchronously", async () => {
    const f = new FakeFn(0);
    const sync = {
      id: 1,
      name: "/sync",
      batch: false,
      maxBatchSize: 1,
      invoke(): never {
        throw new AppError("thrown at once");
      },
    };
    const { engine, rec } = makeEngine([f, sync], { concurrencyCount: 2 });
    await join(engine, 0, "a");
    await join(engine, 1, "b");
    f.last().reject(new Error("hidden"));
    await settle();
    const a = rec.terminal("a");
    assert.equal(a?.type === "failed" ? a.error.message : "?", null);
    const b = rec.terminal("b");
    assert.equal(b?.type === "failed" ? b.error.message : "?", "thrown at once");
    await engine.close();
  });

  it("fails a non-batch function returning the wrong number of outputs with OUTPUT_SHAPE", async () => {
    const f = new FakeFn(0);
    const { engine, rec } = makeEngine([f]);
    await join(engine, 0, "a");
    f.last().resolve([]);
    await settle();
    const t = rec.terminal("a");
    assert.deepEqual(t?.type === "failed" ? [t.error.code, t.error.message] : null, [
      "OUTPUT_SHAPE",
      "Function /fn0 returned 0 outputs for 1 input.",
    ]);
    await engine.close();
  });
});
