import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  Blocks,
  Button,
  Image,
  Interface,
  Label,
  NumberInput,
  State,
  Textbox,
  type EventContext,
  type ServedApp,
  type UploadedFile,
} from "../../src/app/index.ts";
import { AppError, isUsherError, UsherError } from "../../src/errors.ts";
import type { AnyListener } from "../../src/components/Listener.ts";
import type { InvokeResult } from "../../src/queue/types.ts";
import { collect, event, fakeContext, NO_FILES_ENV, ROOT_URL, tempEnv } from "./helpers.ts";

/** Builds a Blocks with one listener on a button; returns the built app. */
function single(listener: AnyListener): ServedApp {
  const app = new Blocks({}, () => {
    new Button().click(listener as never);
  });
  return app.build(NO_FILES_ENV);
}

function values(result: InvokeResult): readonly unknown[] {
  assert.equal(result.kind, "values");
  return (result as { outputs: readonly unknown[] }).outputs;
}

describe("validate", () => {
  const app = new Blocks({}, () => {
    const a = new Textbox({ label: "A" });
    const n = new NumberInput({ label: "N", maximum: 3 });
    const s = new State(1);
    new Button().click({ fn: (x: string, y: number | null) => `${x}${y}`, inputs: [a, n, s], outputs: [a] });
  }).build(NO_FILES_ENV);
  const fn = app.functions[0]!;

  test("good data passes; state inputs arrive as null", () => {
    fn.validate(["x", 2, null]);
    assert.equal(fn.inputCount, 3);
  });

  test("a non-array is a bad request", () => {
    assert.throws(
      () => fn.validate({ a: 1 }),
      (e) => isUsherError(e, "BAD_REQUEST"),
    );
  });

  test("wrong length and wrong values are VALIDATION with a detail list", () => {
    assert.throws(
      () => fn.validate(["x"]),
      (e) => isUsherError(e, "VALIDATION") && /takes 3 input values, got 1/.test(e.message),
    );
    assert.throws(
      () => fn.validate([{}, 9, null]),
      (e) =>
        isUsherError(e, "VALIDATION") &&
        JSON.stringify(e.detail) ===
          JSON.stringify([
            { is_valid: false, message: 'Expected a string for Textbox "A", got object.', parameter_name: "x" },
            { is_valid: false, message: "Value 9 is greater than maximum value 3.", parameter_name: "y" },
          ]),
    );
  });
});

describe("invoke", () => {
  test("one output: the returned value itself", async () => {
    const app = new Interface({ fn: (x: string) => x.toUpperCase(), inputs: "text", outputs: "text" }).build(
      NO_FILES_ENV,
    );
    assert.deepEqual(values(await app.functions[0]!.invoke([["hi"]], fakeContext())), [["HI"]]);
  });

  test("several outputs: an array with one value per output", async () => {
    const app = new Interface({
      fn: (x: string) => [x.length, { [x]: 1 }],
      inputs: "text",
      outputs: [new NumberInput(), new Label()],
    }).build(NO_FILES_ENV);
    assert.deepEqual(values(await app.functions[0]!.invoke([["ab"]], fakeContext())), [
      [2, { label: "ab", confidences: [{ label: "ab", confidence: 1 }] }],
    ]);
  });

  test("the wrong number of outputs is OUTPUT_SHAPE", async () => {
    const app = new Interface({ fn: () => ["a"], outputs: ["text", "text"] }).build(NO_FILES_ENV);
    await assert.rejects(
      async () => app.functions[0]!.invoke([[]], fakeContext()),
      (e) => isUsherError(e, "OUTPUT_SHAPE") && /must return an array of 2 values, got an array of 1/.test(e.message),
    );
    const app2 = new Interface({ fn: () => "a", outputs: ["text", "text"] }).build(NO_FILES_ENV);
    await assert.rejects(
      async () => app2.functions[0]!.invoke([[]], fakeContext()),
      (e) => isUsherError(e, "OUTPUT_SHAPE"),
    );
  });

  test("no outputs: the result is ignored", async () => {
    const app = single({ fn: () => 42 });
    assert.deepEqual(values(await app.functions[0]!.invoke([[]], fakeContext())), [[]]);
  });

  test("AppError and other errors propagate untouched", async () => {
    const appError = new AppError("Bad prompt", { title: "Oops" });
    const app = single({
      fn: () => {
        throw appError;
      },
    });
    await assert.rejects(
      async () => app.functions[0]!.invoke([[]], fakeContext()),
      (e) => e === appError,
    );
    const boom = new TypeError("boom");
    const app2 = single({ fn: async () => Promise.reject(boom) });
    await assert.rejects(
      async () => app2.functions[0]!.invoke([[]], fakeContext()),
      (e) => e === boom,
    );
  });

  test("the context: signal, session, progress and toasts", async () => {
    let seen: EventContext | undefined;
    const app = single({
      fn: (ctx: EventContext) => {
        seen = ctx;
        ctx.progress(0.5, "half");
        ctx.progress([3, 10], "steps", "images");
        ctx.info("hello");
        ctx.warning("careful", { durationMs: null });
        ctx.success("done");
      },
    });
    const ctx = fakeContext([event("sess", "ev1")]);
    await app.functions[0]!.invoke([[]], ctx);
    assert.equal(seen!.signal, ctx.signal);
    assert.equal(seen!.sessionHash, "sess");
    assert.equal(seen!.eventId, "ev1");
    assert.deepEqual(ctx.progressCalls, [
      [{ index: null, length: null, unit: "steps", progress: 0.5, desc: "half" }],
      [{ index: 3, length: 10, unit: "images", progress: null, desc: "steps" }],
    ]);
    assert.deepEqual(
      ctx.logs.map((l) => [l.level, l.message, l.options]),
      [
        ["info", "hello", undefined],
        ["warning", "careful", { durationMs: null }],
        ["success", "done", undefined],
      ],
    );
  });

  test("invalid data is refused at invoke too", async () => {
    const app = new Interface({ fn: (x: string) => x, inputs: "text", outputs: "text" }).build(NO_FILES_ENV);
    await assert.rejects(
      async () => app.functions[0]!.invoke([[1, 2]], fakeContext()),
      (e) => isUsherError(e, "VALIDATION"),
    );
  });
});

describe("State", () => {
  function counter() {
    return new Blocks({}, () => {
      const count = new State(() => ({ n: 0 }));
      const out = new NumberInput();
      new Button().click({
        fn: (c: { n: number }) => {
          const next = { n: c.n + 1 };
          return [next, next.n];
        },
        inputs: [count],
        outputs: [count, out],
      });
    }).build(NO_FILES_ENV);
  }

  test("round trip across two calls of one session; state outputs travel as null", async () => {
    const app = counter();
    const fn = app.functions[0]!;
    assert.deepEqual(values(await fn.invoke([[null]], fakeContext([event("a")]))), [[null, 1]]);
    assert.deepEqual(values(await fn.invoke([[null]], fakeContext([event("a")]))), [[null, 2]]);
  });

  test("sessions are isolated, and closeSession frees them", async () => {
    const app = counter();
    const fn = app.functions[0]!;
    await fn.invoke([[null]], fakeContext([event("a")]));
    await fn.invoke([[null]], fakeContext([event("a")]));
    assert.deepEqual(values(await fn.invoke([[null]], fakeContext([event("b")]))), [[null, 1]]);
    app.closeSession("a");
    assert.deepEqual(values(await fn.invoke([[null]], fakeContext([event("a")]))), [[null, 1]]);
  });

  test("Interface: a state input and a state output are one State; JS defaults give its first value", async () => {
    const app = new Interface({
      fn: (msg: string, history: string[] = []) => {
        const next = [...history, msg];
        return [next.join(" "), next];
      },
      inputs: ["text", "state"],
      outputs: ["text", "state"],
    }).build(NO_FILES_ENV);
    const fn = app.functions[0]!;
    assert.deepEqual(values(await fn.invoke([["hi", null]], fakeContext([event("a")]))), [["hi", null]]);
    assert.deepEqual(values(await fn.invoke([["there", null]], fakeContext([event("a")]))), [["hi there", null]]);
  });

  test("an initial value is cloned per session", async () => {
    const app = new Blocks({}, () => {
      const list = new State<string[]>(["start"]);
      const t = new Textbox();
      t.submit({
        fn: (x: string, l: string[]) => {
          l.push(x);
          return [l, l.join(",")];
        },
        inputs: [t, list],
        outputs: [list, t],
      });
    }).build(NO_FILES_ENV);
    const fn = app.functions[0]!;
    assert.deepEqual(values(await fn.invoke([["a", null]], fakeContext([event("a")]))), [[null, "start,a"]]);
    assert.deepEqual(values(await fn.invoke([["b", null]], fakeContext([event("b")]))), [[null, "start,b"]]);
  });
});

describe("generators", () => {
  test("an async generator streams postprocessed full outputs", async () => {
    const app = new Interface({
      fn: async function* (x: string) {
        for (let i = 1; i <= x.length; i++) yield x.slice(0, i);
      },
      inputs: "text",
      outputs: "text",
    }).build(NO_FILES_ENV);
    const config = app.config({
      rootUrl: ROOT_URL,
      queueEnabled: true,
      showError: false,
      maxFileSize: null,
      appId: 1,
      apiPrefix: "/gradio_api",
    }) as Record<string, any>;
    assert.deepEqual(config["dependencies"][0]["types"], { generator: true, cancel: false });
    const result = await app.functions[0]!.invoke([["abc"]], fakeContext());
    assert.equal(result.kind, "stream");
    assert.deepEqual(await collect((result as { chunks: AsyncIterable<unknown> }).chunks), [["a"], ["ab"], ["abc"]]);
  });

  test("a generator that yields nothing gives one chunk of nulls", async () => {
    const app = new Interface({
      // eslint-disable-next-line require-yield
      fn: async function* () {
        return;
      },
      outputs: ["text", "text"],
    }).build(NO_FILES_ENV);
    const result = await app.functions[0]!.invoke([[]], fakeContext());
    assert.deepEqual(await collect((result as { chunks: AsyncIterable<unknown> }).chunks), [[null, null]]);
  });

  test("sync generators stream too; State is stored after each chunk", async () => {
    const app = new Blocks({}, () => {
      const s = new State(0);
      const t = new Textbox();
      t.submit({
        fn: function* (x: string, n: number) {
          yield [n + 1, `${x}1`];
          yield [n + 2, `${x}2`];
        },
        inputs: [t, s],
        outputs: [s, t],
      });
      t.change({ fn: (n: number) => String(n), inputs: [s], outputs: [t] });
    }).build(NO_FILES_ENV);
    const result = await app.functions[0]!.invoke([["x", null]], fakeContext([event("a")]));
    const iterator = (result as { chunks: AsyncIterable<unknown> }).chunks[Symbol.asyncIterator]();
    assert.deepEqual((await iterator.next()).value, [null, "x1"]);
    assert.deepEqual(values(await app.functions[1]!.invoke([[null]], fakeContext([event("a")]))), [["1"]]);
    assert.deepEqual((await iterator.next()).value, [null, "x2"]);
    assert.deepEqual(values(await app.functions[1]!.invoke([[null]], fakeContext([event("a")]))), [["2"]]);
    assert.equal((await iterator.next()).done, true);
  });

  test("stopping the stream closes the developer's generator", async () => {
    let closed = false;
    const app = new Interface({
      fn: async function* () {
        try {
          for (let i = 0; ; i++) yield String(i);
        } finally {
          closed = true;
        }
      },
      outputs: "text",
    }).build(NO_FILES_ENV);
    const result = await app.functions[0]!.invoke([[]], fakeContext());
    for await (const chunk of (result as { chunks: AsyncIterable<unknown> }).chunks) {
      if ((chunk as string[])[0] === "2") break;
    }
    assert.equal(closed, true);
  });
});

describe("batch", () => {
  function batched(fn: (...args: any[]) => unknown) {
    return new Blocks({}, () => {
      const a = new Textbox();
      const n = new NumberInput({ allowEmpty: true });
      const out = new Textbox();
      const len = new NumberInput();
      new Button().click({ fn, inputs: [a, n], outputs: [out, len], batch: true, maxBatchSize: 4 });
    }).build(NO_FILES_ENV);
  }

  test("one list per input in, one list per output out, transposed back per event", async () => {
    let received: unknown[] = [];
    const app = batched((words: string[], counts: (number | null)[]) => {
      received = [words, counts];
      return [words.map((w, i) => w.repeat(counts[i] ?? 1)), words.map((w) => w.length)];
    });
    const ctx = fakeContext([event("a"), event("b"), event("c")]);
    const out = values(
      await app.functions[0]!.invoke(
        [
          ["x", 2],
          ["yy", null],
          ["z", 3],
        ],
        ctx,
      ),
    );
    assert.deepEqual(received, [
      ["x", "yy", "z"],
      [2, null, 3],
    ]);
    assert.deepEqual(out, [
      ["xx", 1],
      ["yy", 2],
      ["zzz", 1],
    ]);
  });

  test("a list of the wrong length is BATCH_SHAPE", async () => {
    const app = batched((words: string[]) => [words.slice(1), words.map(() => 1)]);
    const ctx = fakeContext([event("a"), event("b"), event("c"), event("d")]);
    await assert.rejects(
      async () =>
        app.functions[0]!.invoke(
          [
            ["a", 1],
            ["b", 1],
            ["c", 1],
            ["d", 1],
          ],
          ctx,
        ),
      (e) => isUsherError(e, "BATCH_SHAPE") && e.message === "Batched function returned 3 outputs for 4 inputs.",
    );
    const app2 = batched((words: string[]) => [words]);
    await assert.rejects(
      async () => app2.functions[0]!.invoke([["a", 1]], fakeContext()),
      (e) => isUsherError(e, "BATCH_SHAPE") && /one list per output component \(2\)/.test(e.message),
    );
  });

  test("State in a batch: each event reads and writes its own session", async () => {
    const app = new Blocks({}, () => {
      const s = new State(0);
      const t = new Textbox();
      t.submit({
        fn: (xs: string[], ns: number[]) => [ns.map((n) => n + 1), xs.map((x, i) => `${x}${ns[i]! + 1}`)],
        inputs: [t, s],
        outputs: [s, t],
        batch: true,
      });
    }).build(NO_FILES_ENV);
    const fn = app.functions[0]!;
    await fn.invoke([["a", null]], fakeContext([event("A")]));
    const out = values(
      await fn.invoke(
        [
          ["a", null],
          ["b", null],
        ],
        fakeContext([event("A"), event("B")]),
      ),
    );
    assert.deepEqual(out, [
      [null, "a2"],
      [null, "b1"],
    ]);
  });

  test("generators cannot be batched", () => {
    assert.throws(
      () =>
        single({
          fn: async function* () {
            yield 1;
          },
          batch: true,
        }),
      (e) => isUsherError(e, "INVALID_OPTIONS"),
    );
  });
});

describe("files through invoke", () => {
  test("file input from the store, refused outside it, and a file output with a URL", async () => {
    const t = await tempEnv();
    try {
      const app = new Interface({
        fn: async (img: UploadedFile | null) => {
          const bytes = await img!.read();
          return Buffer.from(bytes.toString("utf8").toUpperCase());
        },
        inputs: new Image(),
        outputs: new Image(),
      }).build(t.env);
      async function* body() {
        yield Buffer.from("pixels");
      }
      const path = await t.files.saveUpload(body(), "in.png", null);
      const [[fd]] = values(
        await app.functions[0]!.invoke([[{ path, meta: { _type: "gradio.FileData" } }]], fakeContext()),
      ) as [[Record<string, unknown>]];
      assert.equal(fd["url"], `${ROOT_URL}/gradio_api/file=${fd["path"]}`);
      assert.equal(fd["orig_name"], "image.bin");
      assert.equal(fd["size"], 6);
      assert.equal(await readFile(fd["path"] as string, "utf8"), "PIXELS");
      const outside = join(t.dir, "outside.png");
      await writeFile(outside, "x");
      await assert.rejects(
        async () => app.functions[0]!.invoke([[{ path: outside }]], fakeContext()),
        (e) => e instanceof UsherError && e.code === "VALIDATION",
      );
    } finally {
      await t.cleanup();
    }
  });
});
